"""Decisions, conditions, appeals and review reports."""
