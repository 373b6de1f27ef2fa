"""Celery entry point: ``celery -A qa_portal.worker worker`` (and ``… beat`` for the schedule).

Builds the application from the same configuration as the web processes, so tasks run
inside its application context against the same database and broker.
"""

from qa_portal import create_app

# Not named ``app``: Celery's ``-A`` looks for ``app`` first and would find the Flask one.
flask_app = create_app()
celery = flask_app.extensions["celery"]
