"""Log lines are JSON with the request's id, user and timing; slow requests warn; bodies never reach the log."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from courses.tests.factories import words
from reflect_site.logging import JsonFormatter, TextFormatter

view_log = logging.getLogger("reflect.tests.view")


@login_required
def _logging_view(request):
    view_log.info("inside the view")
    return HttpResponse("ok")


def _failing_view(request):
    raise RuntimeError("the view broke")


def _slow_view(request):
    time.sleep(0.02)
    return HttpResponse("slow")


urlpatterns = [
    path("logs/", _logging_view),
    path("fails/", _failing_view),
    path("slow/", _slow_view),
]


class _Lines(logging.Handler):
    """Formats each record as it is emitted, while the request's context is still current."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    handler = _Lines(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)


def _parsed(lines: list[str]) -> list[dict]:
    # One JSON object per line, and nothing else: a collector reads the stream line by line.
    assert all("\n" not in line for line in lines)
    return [json.loads(line) for line in lines]


def _request_lines(lines: list[str]) -> list[dict]:
    return [entry for entry in _parsed(lines) if entry["logger"] == "reflect.request"]


@pytest.mark.django_db
def test_a_request_logs_one_json_line_with_its_id_user_status_and_duration(client, world, log_lines):
    client.force_login(world.student)
    response = client.get(reverse("courses:question", args=[world.question.pk]) + "?token=secret-in-query")
    assert response.status_code == 200
    [line] = _request_lines(log_lines)
    assert line["level"] == "INFO"
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["user_id"] == world.student.pk
    assert line["method"] == "GET"
    assert line["path"] == f"/questions/{world.question.pk}/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert {"time", "message"} <= line.keys()
    assert "secret-in-query" not in "\n".join(log_lines)


@pytest.mark.django_db
def test_each_request_gets_its_own_id(client, world, log_lines):
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert [line["request_id"] for line in _request_lines(log_lines)] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert all("user_id" not in line for line in _request_lines(log_lines))  # anonymous


@pytest.mark.django_db
def test_a_safe_incoming_request_id_is_kept(client, log_lines):
    response = client.get("/accounts/login/", headers={"X-Request-ID": "lb-7f3a9c.01"})
    assert response["X-Request-ID"] == "lb-7f3a9c.01"
    assert _request_lines(log_lines)[0]["request_id"] == "lb-7f3a9c.01"


@pytest.mark.django_db
@pytest.mark.parametrize("forged", [
    'x", "level": "CRITICAL',
    "abc\nFAKE LOG LINE",
    "a" * 65,
    "../../etc/passwd",
    "<script>",
    "",
])
def test_a_forged_or_junk_request_id_is_replaced(client, log_lines, forged):
    response = client.get("/accounts/login/", headers={"X-Request-ID": forged})
    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32
    [line] = _request_lines(log_lines)
    assert line["request_id"] == response["X-Request-ID"]
    if forged:
        assert forged not in "\n".join(log_lines)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_request_slower_than_the_setting_logs_a_warning(client, settings, log_lines):
    settings.SLOW_REQUEST_MS = 10
    client.get("/slow/")
    [line] = _request_lines(log_lines)
    assert line["level"] == "WARNING"
    assert line["message"].startswith("slow request: GET /slow/ 200")
    assert line["duration_ms"] > 10


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_request_within_the_setting_logs_at_info(client, settings, log_lines):
    settings.SLOW_REQUEST_MS = 60_000
    client.get("/slow/")
    [line] = _request_lines(log_lines)
    assert line["level"] == "INFO" and "slow" not in line["message"].split()[0]


@pytest.mark.django_db
def test_with_a_zero_threshold_every_request_is_slow(client, settings, log_lines):
    settings.SLOW_REQUEST_MS = 0
    client.get("/accounts/login/")
    assert _request_lines(log_lines)[0]["level"] == "WARNING"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_lines_logged_inside_a_view_carry_the_request_id_and_user(client, world, log_lines):
    client.force_login(world.ta)
    response = client.get("/logs/")
    entries = _parsed(log_lines)
    [inside] = [entry for entry in entries if entry["message"] == "inside the view"]
    assert inside["request_id"] == response["X-Request-ID"]
    assert inside["user_id"] == world.ta.pk
    assert inside["logger"] == "reflect.tests.view"
    # Outside any request there is no request id.
    view_log.info("after the request")
    assert "request_id" not in _parsed(log_lines)[-1]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_exception_is_logged_as_an_exc_field_with_the_request_id(log_lines):
    response = Client(raise_request_exception=False).get("/fails/")
    assert response.status_code == 500
    entries = _parsed(log_lines)
    [error] = [entry for entry in entries if entry["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert error["status"] == 500
    assert error["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: the view broke" in error["exc"]
    assert "Traceback" in error["exc"]
    assert _request_lines(log_lines)[0]["status"] == 500


@pytest.mark.django_db
def test_nothing_from_an_answer_or_a_password_reaches_the_log(client, world, log_lines):
    client.force_login(world.student)
    marker = "zyzzogeton"
    url = reverse("courses:answer_save", args=[world.question.pk])
    saved = client.post(url, {"text": words(160, marker), "version": world.response.version},
                        content_type="application/json")
    assert saved.status_code == 200
    refused = client.post(url, '{"text": "zyzzogeton", "version": "not a number"', content_type="application/json")
    assert refused.status_code == 400
    client.logout()
    client.post("/accounts/login/", {"username": world.student.username, "password": "pw-quetzalcoatl"})
    logged = "\n".join(log_lines)
    assert len(_request_lines(log_lines)) == 3
    assert marker not in logged
    assert "quetzalcoatl" not in logged


def test_the_text_format_shows_the_request_id_for_people_reading_a_terminal():
    record = logging.LogRecord("reflect.x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    record.request_id = "abc123"
    line = TextFormatter().format(record)
    assert line.endswith("INFO reflect.x [abc123]: hello there")


def test_production_logs_json_lines_by_default():
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env = {**clean, "DEBUG": "0", "SECRET_KEY": "k" * 40 + "-0123456789-unique", "ALLOWED_HOSTS": "a.example"}
    code = "import logging; logging.getLogger('reflect.check').warning('it is %s', 'json')"
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [line] = [json.loads(text) for text in done.stderr.splitlines() if "reflect.check" in text]
    assert line["level"] == "WARNING" and line["message"] == "it is json" and line["logger"] == "reflect.check"
