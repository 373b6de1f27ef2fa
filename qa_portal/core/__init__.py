"""Shared machinery: base model, audit trail, state machines, errors, storage, mail, PDF."""
