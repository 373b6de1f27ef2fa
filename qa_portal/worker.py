"""Celery entry point: ``celery -A qa_portal.worker worker`` (and ``… beat`` for the schedule).

Builds the application from the same configuration as the web processes (it needs
``CELERY_BROKER_URL``, ``DATABASE_URL``, ``MAIL_SERVER``… and ``PUBLIC_BASE_URL`` for the
links in e-mails), so tasks run inside its application context against the same database.
A worker started without ``-Q`` consumes every queue; ``-Q mail`` makes one that only
delivers e-mail and sends reminders (see ``qa_portal.core.jobs``). Run exactly one beat.
"""

from qa_portal import create_app

# Not named ``app``: Celery's ``-A`` looks for ``app`` first and would find the Flask one.
flask_app = create_app()
celery = flask_app.extensions["celery"]
