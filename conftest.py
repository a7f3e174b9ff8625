"""Fixtures shared by every app's tests: a course with users in every role, and a real browser."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).parent / "test-artifacts"


@pytest.fixture(autouse=True, scope="session")
def _no_persistent_connections():
    """Close each request's connection, so live-server threads don't keep the test database open."""
    from django.db import connections

    connections.settings["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """One course with a module, a question and people in every role, plus a second course."""

    course: object
    module: object
    question: object
    student: object
    other_student: object
    ta: object
    instructor: object
    outsider: object
    other_course: object
    other_ta: object
    response: object  # the student's submitted response to `question`
    other_response: object  # other_student's response

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world(db) -> World:
    from courses.models import Role
    from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user

    course = make_course("ml-systems", title="ML Systems")
    module = make_module(course, 1, slug="activations", title="Activations")
    question = make_question(module, 1)
    student, other_student = make_user("student"), make_user("other_student")
    ta, instructor, outsider = make_user("ta"), make_user("instructor"), make_user("outsider")
    other_course = make_course("other-course")
    other_ta = make_user("other_ta")
    enroll(student, course)
    enroll(other_student, course)
    enroll(ta, course, Role.TA)
    enroll(instructor, course, Role.INSTRUCTOR)
    enroll(other_ta, other_course, Role.TA)
    return World(
        course=course, module=module, question=question, student=student, other_student=other_student,
        ta=ta, instructor=instructor, outsider=outsider, other_course=other_course, other_ta=other_ta,
        response=make_response(student, question), other_response=make_response(other_student, question),
    )


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives; stop() and start() again at will."""

    def __init__(self):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.host = "127.0.0.1"
        self.messages: list = []  # email.message.EmailMessage, in the order received
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.original_content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        # A stopped controller can't be started again; a new one takes the same port.
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings):
    """Django's SMTP backend pointed at a real SMTP server started for the test."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def run_worker(django_capture_on_commit_callbacks):
    """Run `manage.py worker --batch` until the queue is quiet: what it queues on commit runs too.

    The worker commits and closes connections as in production, so use it in tests marked
    `django_db(transaction=True)` (or with `live_server`), not inside a test transaction.
    """
    from io import StringIO

    from django.core.management import call_command

    def _run(rounds: int = 10) -> None:
        for _ in range(rounds):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                call_command("worker", "--batch", stdout=StringIO())
            if not callbacks:
                return

    return _run


@pytest.fixture
def demo(settings):
    """The demo course (`load_demo`), and its people by username; their password is reflect-demo."""
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.DEBUG = True  # load_demo is for development sites
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(request, browser):
    """A fresh browser context per test; a screenshot is kept in test-artifacts/ when the test fails."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(live_server):
    """Log a page in as `user` through the real login form."""

    def _login(page, user, password: str = "pw") -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _login
