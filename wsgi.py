"""WSGI entry point: ``gunicorn wsgi:app``; the ``flask`` command finds ``app`` here."""

from qa_portal import create_app

app = create_app()
