# Copy to instance/config.py to override settings on this machine.
# Environment variables are read first; values here win over them.
#
# SECRET_KEY = "a long random string"
# AUDIT_KEY = "another long random string, kept and backed up apart from the database"
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://qa:secret@db/qa_portal"
# CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
# MAIL_SERVER = "smtp.example.org"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "qa-portal"
# MAIL_PASSWORD = "..."
# MAIL_DEFAULT_SENDER = "QA Portal <noreply@example.org>"
# PUBLIC_BASE_URL = "https://qa.example.org"
# SECURITY_LOG_FILE = "/var/log/qa_portal/security.log"
