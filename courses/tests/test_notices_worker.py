"""`manage.py worker` as it runs in production: a separate process that ticks, sends, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from courses.models import DeliveryStatus, Notice, NoticeKind
from courses.notices import notify
from courses.tests.factories import make_question

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(condition, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_worker_process_ticks_sends_and_stops_cleanly(world, smtp_server):
    make_question(world.module, 2, due_at=timezone.now() + timedelta(hours=5))
    env = {k: v for k, v in os.environ.items() if k not in {"TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "reflect_site.settings", "DATABASE_URL": _database_url(), "DEBUG": "1",
        "WORKER_TICK_SECONDS": "1", "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port), "LOG_LEVEL": "WARNING",
    })
    worker = subprocess.Popen([sys.executable, "manage.py", "worker", "--interval", "0.2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The first tick reminds both students who haven't answered question 2.
        assert _wait_for(lambda: len(smtp_server.messages) == 2), [m["Subject"] for m in smtp_server.messages]
        notify(recipient=world.ta, kind=NoticeKind.INVITATION, key="invite:ta", subject="Welcome", body="Hi")
        assert _wait_for(lambda: len(smtp_server.messages) == 3)  # queued by this process, sent by the worker
        time.sleep(2.5)  # two more ticks: nothing new
        assert len(smtp_server.messages) == 3
        assert set(Notice.objects.values_list("email_status", flat=True)) == {DeliveryStatus.SENT}
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "other_student@example.edu", "student@example.edu", "ta@example.edu"]
