"""Configuration: embedded defaults, overridden by the environment, then by instance/config.py.

The embedded default needs no service: SQLite, uploads, reports and e-mail in the
instance folder, jobs executed in-process. Production (``QA_PORTAL_ENV=production``)
refuses to start without a real ``SECRET_KEY`` and ``AUDIT_KEY``, without
``PUBLIC_BASE_URL`` (and accepts only requests addressed to that URL's host), and with
rate limits counted in one process's memory unless it is declared the only web process.
"""

from __future__ import annotations

import math
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def service_timeouts(config: dict) -> None:
    """Give every connection to another service a time limit, from the final configuration
    (instance/config.py and a test's overrides included; what they set explicitly wins):

    - PostgreSQL: connecting gives up after ``DATABASE_CONNECT_TIMEOUT`` seconds, and a
      statement is cancelled after ``DATABASE_STATEMENT_TIMEOUT`` (0: never), a session
      setting that a transaction may change for itself (``SET LOCAL``);
    - Redis for the rate limits: connecting and each answer within ``REDIS_TIMEOUT``
      (the broker's are set in ``core/jobs.py``). SMTP has ``MAIL_TIMEOUT``; SQLite waits up
      to 10 s for the write lock (``core/db.py``).
    """
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("postgresql"):
        engine = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(engine.get("connect_args") or {})
        query = make_url(uri).query
        if "connect_timeout" not in query:
            # libpq counts whole seconds (and at least 2)
            connect_args.setdefault(
                "connect_timeout", math.ceil(config["DATABASE_CONNECT_TIMEOUT"])
            )
        options = connect_args.get("options") or query.get("options") or ""
        if "statement_timeout" not in options:
            statement_ms = round(config["DATABASE_STATEMENT_TIMEOUT"] * 1000)
            connect_args["options"] = f"{options} -c statement_timeout={statement_ms}".strip()
        engine["connect_args"] = connect_args
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://")):
        storage = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        storage.setdefault("socket_connect_timeout", config["REDIS_TIMEOUT"])
        storage.setdefault("socket_timeout", config["REDIS_TIMEOUT"])
        config["RATELIMIT_STORAGE_OPTIONS"] = storage


def _file_limits(env) -> dict:
    """What one provider organisation may store (every file its dossiers own), how many files
    one request may bring, and the age past which the sweep deletes stray files."""
    return {
        "ORG_STORAGE_QUOTA_BYTES": int(env.get("ORG_STORAGE_QUOTA_BYTES", str(500 * 1024**2))),
        "ORG_STORAGE_QUOTA_FILES": int(env.get("ORG_STORAGE_QUOTA_FILES", "500")),
        "MAX_FILES_PER_REQUEST": int(env.get("MAX_FILES_PER_REQUEST", "20")),
        "FILE_SWEEP_AGE_HOURS": float(env.get("FILE_SWEEP_AGE_HOURS", "24")),
    }


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping from defaults and the environment."""
    instance = Path(instance_path)
    env = os.environ
    mode = env.get("QA_PORTAL_ENV", "development").strip().lower()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'qa_portal.sqlite'}"
    config = {
        "ENV_MODE": mode,
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Seconds (PostgreSQL): to connect, and for one statement (0: no limit).
        "DATABASE_CONNECT_TIMEOUT": _seconds("DATABASE_CONNECT_TIMEOUT", 5),
        "DATABASE_STATEMENT_TIMEOUT": _seconds("DATABASE_STATEMENT_TIMEOUT", 30),
        # Seconds: how long /healthz waits for the database before answering 503.
        "HEALTHZ_TIMEOUT": _seconds("HEALTHZ_TIMEOUT", 2),
        "UPLOAD_DIR": env.get("UPLOAD_DIR", str(instance / "uploads")),
        "REPORT_DIR": env.get("REPORT_DIR", str(instance / "reports")),
        "MAIL_OUTBOX_DIR": env.get("MAIL_OUTBOX_DIR", str(instance / "outbox")),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_TIMEOUT": _seconds("MAIL_TIMEOUT", 10),
        "MAIL_DEFAULT_SENDER": env.get(
            "MAIL_DEFAULT_SENDER", "QA Portal <noreply@qa-portal.local>"
        ),
        "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL") or None,
        "CELERY_RESULT_BACKEND": env.get("CELERY_RESULT_BACKEND") or None,
        # Seconds: to connect to Redis (broker, results, rate limits) and for each answer.
        "REDIS_TIMEOUT": _seconds("REDIS_TIMEOUT", 5),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # memory:// counts in each process: N gunicorn workers would allow N times the limits.
        # Production accepts it only when this says there is exactly one web process.
        "RATELIMIT_SINGLE_PROCESS": _bool(env.get("RATELIMIT_SINGLE_PROCESS")),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted: without
        # this, every visitor behind the proxy shares one address (and one sign-in limit).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/") or None,
        "QA_BODY_NAME": env.get("QA_BODY_NAME") or None,
        # Evidence files: PDF only, this many bytes at most; whole requests a little more.
        "EVIDENCE_MAX_BYTES": int(env.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024))),
        **_file_limits(env),
        # The audit trail's key and checkpoints live outside the database (core/audit_anchor.py):
        # AUDIT_KEY (development: generated into instance/audit_key), a checkpoint after
        # every AUDIT_CHECKPOINT_EVERY entries (0: only by Celery beat and the command).
        "AUDIT_KEY": env.get("AUDIT_KEY", ""),
        "AUDIT_CHECKPOINT_FILE": env.get(
            "AUDIT_CHECKPOINT_FILE", str(instance / "audit_checkpoints.jsonl")
        ),
        "AUDIT_CHECKPOINT_EVERY": int(env.get("AUDIT_CHECKPOINT_EVERY", "100")),
        "PASSWORD_RESET_HOURS": int(env.get("PASSWORD_RESET_HOURS", "2")),
        # The security log (core/security_log.py) goes to stderr, and to this file as well.
        "SECURITY_LOG_FILE": env.get("SECURITY_LOG_FILE") or None,
        # Render the public and internal report of every decided round automatically.
        "REPORTS_ON_DECISION": _bool(env.get("REPORTS_ON_DECISION"), True),
        # Each rendering runs in a process of its own, stopped past these limits (seconds,
        # megabytes of resident memory); the report then says why it failed.
        "REPORT_TIME_LIMIT": _seconds("REPORT_TIME_LIMIT", 300),
        "REPORT_MEMORY_LIMIT": int(env.get("REPORT_MEMORY_LIMIT", "1024")),
        # Seconds a job runner holds a job between renewals; a runner silent for longer is
        # taken to have died and the job runs again (core/job_queue.py).
        "JOB_LEASE_SECONDS": _seconds("JOB_LEASE_SECONDS", 60),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": mode == "production",
        # "Keep me signed in" lasts two weeks at most (Flask-Login's default is a year).
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": mode == "production",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }
    return config


def ensure_secret_key(config: dict, instance_path: str) -> None:
    """Refuse a weak key in production; in development keep a generated one in instance/."""
    key = config.get("SECRET_KEY") or ""
    if config.get("ENV_MODE") == "production":
        if key.strip().lower() in WEAK_SECRETS or len(key) < 32:
            raise RuntimeError(
                "QA_PORTAL_ENV=production needs SECRET_KEY set to a random string of "
                "at least 32 characters (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        return
    if key:
        return
    path = Path(instance_path) / "secret_key"
    if path.exists():
        config["SECRET_KEY"] = path.read_text().strip()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["SECRET_KEY"] = secrets.token_hex(32)
        path.write_text(config["SECRET_KEY"])
        path.chmod(0o600)


def ensure_audit_key(config: dict, instance_path: str) -> None:
    """The audit trail's key, kept outside the database. Production needs ``AUDIT_KEY`` (at
    least 32 characters, not the ``SECRET_KEY``: leaking one must not give away the other);
    development keeps a generated one in instance/audit_key (mode 0600)."""
    key = config.get("AUDIT_KEY") or ""
    if config.get("ENV_MODE") == "production":
        if key.strip().lower() in WEAK_SECRETS or len(key) < 32 or key == config["SECRET_KEY"]:
            raise RuntimeError(
                "QA_PORTAL_ENV=production needs AUDIT_KEY set to a random string of at least "
                "32 characters, other than SECRET_KEY, kept and backed up apart from the "
                "database (python -c 'import secrets; print(secrets.token_hex(32))'). An "
                "existing trail needs the key it was written with."
            )
        return
    if not key:
        config["AUDIT_KEY"] = _read_or_create_key(Path(instance_path) / "audit_key")


def _read_or_create_key(path: Path) -> str:
    """The key in ``path``; a new random one if there is none. Several processes starting
    at once agree: the file appears complete or not at all (a hard link cannot replace)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key it is
        finally:
            draft.unlink()
    return path.read_text().strip()


def ensure_public_base_url(config: dict) -> None:
    """Production needs the portal's public address: absolute links (e-mails, the API, the
    exports, a report's QR code) are built from it, never from the request's Host header,
    and requests naming another host are refused (``TRUSTED_HOSTS``, a 400)."""
    if config.get("ENV_MODE") != "production":
        return
    base = config.get("PUBLIC_BASE_URL") or ""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuntimeError(
            "QA_PORTAL_ENV=production needs PUBLIC_BASE_URL set to the portal's public "
            "address, for example https://qa.example.org (links in e-mails and exports are "
            f"built from it); got {base!r}."
        )
    if not config.get("TRUSTED_HOSTS"):
        config["TRUSTED_HOSTS"] = [parts.hostname]


def ensure_shared_rate_limits(config: dict) -> None:
    """In production, refuse rate limits kept in one process's memory (each of several web
    processes would count alone) unless ``RATELIMIT_SINGLE_PROCESS`` says there is one."""
    if config.get("ENV_MODE") != "production" or not config.get("RATELIMIT_ENABLED", True):
        return
    storage = (config.get("RATELIMIT_STORAGE_URI") or "memory://").strip().lower()
    if storage.startswith("memory://") and not config.get("RATELIMIT_SINGLE_PROCESS"):
        raise RuntimeError(
            "QA_PORTAL_ENV=production counts rate limits in memory (RATELIMIT_STORAGE_URI="
            "memory://), which several web processes would each count alone. Set "
            "RATELIMIT_STORAGE_URI=redis://… (shared by every process), or "
            "RATELIMIT_SINGLE_PROCESS=1 if exactly one web process serves the portal."
        )
