"""Reviewer pool, rubric, review rounds, assignments, conflicts, reviews and moderation."""
