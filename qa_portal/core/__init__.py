"""Shared machinery: base model, audit trail, permissions, state machines, errors, storage, mail, PDF."""
