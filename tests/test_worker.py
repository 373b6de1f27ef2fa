"""``celery -A qa_portal.worker worker`` finds the Celery app with the portal's tasks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_worker_entry_point_exposes_the_tasks(tmp_path):
    # In a fresh interpreter: building the worker's app must not rebind this session's jobs.
    code = (
        "from celery.app.utils import find_app\n"
        "app = find_app('qa_portal.worker')\n"
        "print(sorted(t for t in app.tasks if t.startswith('qa_portal.')))\n"
    )
    env = {**os.environ, "QA_PORTAL_INSTANCE": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "qa_portal.deliver_email" in result.stdout
    assert "qa_portal.retry_email" in result.stdout
