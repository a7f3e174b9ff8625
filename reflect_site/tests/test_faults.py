"""Real failures under real servers: PostgreSQL restarted under load, a worker killed, two app servers.

The servers are real (a private PostgreSQL cluster, gunicorn with production settings) and
so are the failures (pg_ctl stop, SIGKILL); reflect_site/tests/servers.py starts and always
stops them. Every request loop is bounded in count and time.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field

import psycopg
import pytest

from reflect_site.health import DATABASE_UNAVAILABLE
from reflect_site.tests.servers import (
    CSRF_INPUT,
    AppServer,
    Client,
    Reply,
    app_server,
    new_secret_key,
    prepare_database,
    private_postgres,
    production_env,
)

pytestmark = pytest.mark.postgres_only

STUDENTS = ["ada", "grace", "edsger", "barbara", "donald", "frances"]
TAS = ["ta_one", "ta_two"]
PASSWORD = "a-password-for-fault-tests"
AUTOSAVE_LIMIT = 15  # per minute, for the two-server test's own app servers (above its other users' saves)
# The other tests save as fast as the server answers, which is not what they are about.
NO_AUTOSAVE_LIMIT = {"RATE_LIMIT_AUTOSAVE": "100000/m"}

SEED = """
import json
from django.contrib.auth.hashers import make_password
from courses.models import Role
from courses.tests.factories import User, enroll, make_course, make_module, make_question, make_response
course = make_course("faults", title="Faults")
module = make_module(course, 1, slug="drafts")
open_question = make_question(module, 1, title="Written while things break")
graded_question = make_question(module, 2, title="Graded across two servers")
password = make_password(PASSWORD)  # hashed once: hashing is made slow on purpose
users = {}
for name in STUDENTS:
    users[name] = User.objects.create(username=name, password=password)
    enroll(users[name], course)
for name in TAS:
    enroll(User.objects.create(username=name, password=password), course, Role.TA)
to_grade = make_response(users["ada"], graded_question)
to_grade_in_outage = make_response(users["grace"], graded_question)
print(json.dumps({
    "open_question": open_question.pk, "to_grade": to_grade.pk, "to_grade_in_outage": to_grade_in_outage.pk,
    "good_band": graded_question.bands.get(label="GOOD").pk,
    "satisfactory_band": graded_question.bands.get(label="SATISFACTORY").pk,
}))
"""


@dataclass
class Site:
    cluster: object
    database_url: str
    secret_key: str
    ids: dict

    def env(self, **extra: str) -> dict[str, str]:
        return production_env(self.database_url, self.secret_key, **extra)

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def site():
    """A private cluster with reflect migrated and a small course in it; gone after the module."""
    with private_postgres(durable=False) as cluster:
        url = cluster.create_database("reflect")
        secret_key = new_secret_key()
        env = production_env(url, secret_key)
        ids = prepare_database(env, f"STUDENTS, TAS, PASSWORD = {STUDENTS!r}, {TAS!r}, {PASSWORD!r}\n" + SEED)
        yield Site(cluster, url, secret_key, ids)


def _logged_in(server: AppServer, username: str) -> Client:
    client = Client(server.url)
    client.login(username, PASSWORD)
    return client


def _draft(site: Site, username: str) -> tuple[int, str]:
    rows = site.query(
        "SELECT r.version, r.text FROM courses_response r JOIN auth_user u ON u.id = r.student_id "
        "WHERE u.username = %s AND r.question_id = %s", username, site.ids["open_question"])
    return rows[0] if rows else (0, "")


def _saved_versions(site: Site, username: str) -> dict[int, str]:
    """Every applied save of the student's draft: version → text."""
    return dict(site.query(
        "SELECT v.version, v.text FROM courses_responserevision v JOIN courses_response r ON r.id = v.response_id "
        "JOIN auth_user u ON u.id = r.student_id WHERE u.username = %s AND r.question_id = %s "
        "AND v.version IS NOT NULL", username, site.ids["open_question"]))


def _wait_for(condition, timeout_s: float, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return condition()


@dataclass
class Writer(ABC):
    """One user saving as fast as the server answers, each save based on the version of their last acknowledged one."""

    client: Client
    name: str
    acked: list[tuple] = field(default_factory=list)  # (version, what was saved)
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    unavailable_since_outage: int = 0
    acked_after_restart: int = 0
    acknowledged = 200

    @abstractmethod
    def send(self, n: int, version: int) -> tuple[Reply, object]:
        """Send save number `n`, based on `version`; the reply and what was saved."""

    @abstractmethod
    def new_version(self, reply: Reply, version: int) -> int:
        """The version the next save is based on, after an acknowledged reply."""

    @abstractmethod
    def is_clean_503(self, reply: Reply) -> bool:
        """Whether a 503 carries the clear "try again in a moment" message and no traceback."""

    def run(self, stop: threading.Event, restarted: threading.Event, deadline: float, max_requests: int) -> None:
        version = 0
        for n in range(max_requests):
            if time.monotonic() > deadline:
                break
            try:
                reply, saved = self.send(n, version)
            except OSError as error:
                self.unexpected.append(f"no answer: {error!r}")
                continue
            self.statuses[reply.status] += 1
            if reply.status == self.acknowledged:
                version = self.new_version(reply, version)
                self.acked.append((version, saved))
                if restarted.is_set():
                    self.acked_after_restart += 1
                if stop.is_set():
                    break  # so the last request of the loop is an acknowledged one
            elif reply.status == 503:
                self.unavailable_since_outage += 1
                if not self.is_clean_503(reply) or not reply.headers.get("Retry-After"):
                    self.unexpected.append(f"503 without the message or Retry-After: {reply.text[:300]}")
            else:
                self.unexpected.append(f"{reply.status}: {reply.text[:300]}")
            time.sleep(0.03)


@dataclass
class Typist(Writer):
    """A student autosaving their draft (JSON, as the answer box does)."""

    question_id: int = 0

    def send(self, n: int, version: int) -> tuple[Reply, object]:
        text = f"{self.name} draft {n}: " + "softmax normalises exponentials " * 10
        return self.client.post_json(f"/questions/{self.question_id}/save", {"text": text, "version": version},
                                     timeout=10), text

    def new_version(self, reply: Reply, version: int) -> int:
        return reply.json()["version"]

    def is_clean_503(self, reply: Reply) -> bool:
        return reply.json().get("error") == DATABASE_UNAVAILABLE


@dataclass
class Grader(Writer):
    """A TA saving a grade again and again (the grading page's form), from the version their last save made."""

    response_id: int = 0
    band_id: int = 0
    acknowledged = 302

    def send(self, n: int, version: int) -> tuple[Reply, object]:
        grade = (7 + n % 2, f"{self.name} grade {n}")
        return self.client.post_form(f"/grading/responses/{self.response_id}/save/", {
            "band": self.band_id, "score": grade[0], "feedback": grade[1], "version": version, "then": "stay"},
            timeout=10), grade

    def new_version(self, reply: Reply, version: int) -> int:
        return version + 1

    def is_clean_503(self, reply: Reply) -> bool:
        return DATABASE_UNAVAILABLE in reply.text and "Traceback" not in reply.text


def test_postgres_restarted_under_load_answers_503_then_recovers_and_loses_no_acknowledged_save(site, tmp_path):
    cluster = site.cluster
    with app_server(site.env(**NO_AUTOSAVE_LIMIT), workers=3, log_path=tmp_path / "gunicorn.log") as server:
        typists = [Typist(_logged_in(server, name), name, question_id=site.ids["open_question"])
                   for name in STUDENTS[:3]]
        grader = Grader(_logged_in(server, TAS[0]), TAS[0], response_id=site.ids["to_grade_in_outage"],
                        band_id=site.ids["good_band"])
        writers = [*typists, grader]
        anonymous = Client(server.url)
        stop, restarted = threading.Event(), threading.Event()
        deadline = time.monotonic() + 60
        threads = [threading.Thread(target=w.run, args=(stop, restarted, deadline, 3000), daemon=True)
                   for w in writers]
        for thread in threads:
            thread.start()
        try:
            assert _wait_for(lambda: all(len(w.acked) >= 5 for w in writers), 20), "the load never got going"
            for w in writers:
                w.unavailable_since_outage = 0
            cluster.stop("fast")
            assert _wait_for(lambda: all(w.unavailable_since_outage >= 3 for w in writers), 15), (
                [w.statuses for w in writers])

            health = anonymous.get("/healthz")
            assert health.status == 503 and health.json()["status"] == "unavailable"
            page = typists[0].client.get("/")  # a page, not JSON: the small HTML page with the same message
            assert page.status == 503, page.text[:500]
            assert DATABASE_UNAVAILABLE in page.text and "Traceback" not in page.text
            assert page.headers["Content-Type"].startswith("text/html") and page.headers["Retry-After"]
            # The login form needs no database until it checks a password, in the view itself.
            form = anonymous.get("/accounts/login/")
            assert form.status == 200
            login = anonymous.post_form("/accounts/login/", {
                "username": STUDENTS[-1], "password": PASSWORD,
                "csrfmiddlewaretoken": CSRF_INPUT.search(form.text).group(1)})
            assert login.status == 503 and DATABASE_UNAVAILABLE in login.text, login.text[:500]

            cluster.start()
            restarted.set()
            back_at = time.monotonic()
            recovered = _wait_for(lambda: all(w.acked_after_restart >= 2 for w in writers), 15)
            recovery_s = time.monotonic() - back_at
            assert recovered, f"service did not recover by itself: {[w.statuses for w in writers]}"
            assert recovery_s < 10, f"recovery took {recovery_s:.1f} s"
            assert anonymous.get("/healthz").json() == {"status": "ok"}
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

    # The outage is logged one line per refused request, without the traceback of a 500.
    log = (tmp_path / "gunicorn.log").read_text()
    assert "database unavailable: OperationalError" in log
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-3000:]
    assert '"level": "ERROR"' not in log, log[-3000:]  # an outage the site rides out is a warning

    # Only acknowledged saves and clean 503s: no 500, and no conflict, which would mean a save was
    # applied without being acknowledged (or an acknowledged version was lost).
    for w in writers:
        assert not w.unexpected, (w.name, w.unexpected[:5])
        assert set(w.statuses) == {w.acknowledged, 503}, (w.name, w.statuses)
    for t in typists:
        assert _draft(site, t.name) == t.acked[-1], f"{t.name}'s last acknowledged save is not the draft"
        saved = _saved_versions(site, t.name)
        lost = [(version, text) for version, text in t.acked if saved.get(version) != text]
        assert not lost, f"{t.name}: acknowledged saves missing from the history: {lost[:3]}"
    version, (score, feedback) = grader.acked[-1]
    assert site.query("SELECT version, score, feedback FROM grading_grade WHERE response_id = %s",
                      grader.response_id) == [(version, score, feedback)]
    applied = set(site.query("SELECT version, new_score, new_feedback FROM grading_gradeevent "
                             "WHERE response_id = %s AND kind IN ('graded', 'changed')", grader.response_id))
    lost = [(v, s, f) for v, (s, f) in grader.acked if (v, s, f) not in applied]
    assert not lost and len(applied) == version, f"acknowledged grades missing from the audit: {lost[:3]}"


def _stalled_autosave(server: AppServer, client: Client, question_id: int) -> socket.socket:
    """An autosave whose body never finishes arriving: the worker that took it is stuck mid-request."""
    cookies = "; ".join(f"{c.name}={c.value}" for c in client.jar)
    body = b'{"text": "this text must never be saved", "version": 1'  # a truncated JSON object
    head = (f"POST /questions/{question_id}/save HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Cookie: {cookies}\r\nX-CSRFToken: {client.cookie('csrftoken')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body) + 500}\r\n\r\n").encode()
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stalled.sendall(head + body)
    return stalled


def test_a_worker_killed_mid_request_drops_only_that_request_and_is_replaced(site, tmp_path):
    question = site.ids["open_question"]
    with app_server(site.env(**NO_AUTOSAVE_LIMIT), workers=2, log_path=tmp_path / "gunicorn.log") as server:
        student = _logged_in(server, "barbara")
        first = student.post_json(f"/questions/{question}/save", {"text": "before the kill", "version": 0})
        assert first.status == 200
        version = first.json()["version"]

        stalled = _stalled_autosave(server, student, question)
        holder = None

        def found() -> bool:
            nonlocal holder
            holder = server.worker_holding(stalled.getsockname()[1])
            return holder is not None

        assert _wait_for(found, 5), "no worker took the request"
        workers_before = server.worker_pids()

        def autosave(text: str) -> int:
            nonlocal version
            reply = student.post_json(f"/questions/{question}/save", {"text": text, "version": version})
            assert reply.status == 200, (reply.status, reply.text[:300])
            version = reply.json()["version"]
            return reply.status

        # The other worker answers while the first is stuck...
        assert [autosave(f"while one worker is stuck {i}") for i in range(3)] == [200] * 3
        os.kill(holder, signal.SIGKILL)
        # ...the killed request gets no answer at all, not half of one...
        try:
            assert stalled.recv(1024) == b""
        except ConnectionResetError:
            pass
        finally:
            stalled.close()
        # ...and the others carry on at once, before and after the master replaces the dead worker.
        assert [autosave(f"right after the kill {i}") for i in range(10)] == [200] * 10
        assert _wait_for(lambda: len(server.worker_pids()) == 2 and holder not in server.worker_pids(), 15), (
            f"not respawned: {workers_before} → {server.worker_pids()}")
        assert server.process.poll() is None, "the master died too"
        assert len(server.worker_pids() - workers_before) == 1
        assert [autosave(f"after the respawn {i}") for i in range(5)] == [200] * 5
        assert Client(server.url).get("/healthz").status == 200

    assert _draft(site, "barbara") == (version, "after the respawn 4")
    assert "this text must never be saved" not in _saved_versions(site, "barbara").values()


def test_two_app_servers_share_sessions_leases_conflicts_and_rate_limits(site, tmp_path):
    env = site.env(RATE_LIMIT_AUTOSAVE=f"{AUTOSAVE_LIMIT}/m")
    question, to_grade = site.ids["open_question"], site.ids["to_grade"]
    with app_server(env, workers=2, log_path=tmp_path / "a.log") as a, \
            app_server(env, workers=2, log_path=tmp_path / "b.log") as b:
        # A session made on A is good on B.
        on_a = _logged_in(a, "donald")
        on_b = on_a.on(b.url)
        assert Client(b.url).get("/").status == 302
        dashboard = on_b.get("/")
        assert dashboard.status == 200 and "Log out donald" in dashboard.text

        # Load split between them: each save goes to the other server, from the version the last one gave.
        version, servers = 0, [on_a, on_b]
        for n in range(10):
            reply = servers[n % 2].post_json(f"/questions/{question}/save", {"text": f"split {n}", "version": version})
            assert reply.status == 200, (n, reply.status, reply.text[:300])
            version = reply.json()["version"]
        assert _draft(site, "donald") == (version, "split 9")

        # A stale draft on B, after a save on A, is the conflict, and overwrites nothing.
        stale = on_b.post_json(f"/questions/{question}/save", {"text": "from an old tab", "version": version - 1})
        assert stale.status == 409
        assert stale.json()["conflict"] is True and stale.json()["current_text"] == "split 9"
        assert _draft(site, "donald") == (version, "split 9")

        # A grading lease taken on A shows on B.
        first_ta, second_ta = _logged_in(a, "ta_one"), _logged_in(b, "ta_two")
        page_a = first_ta.get(f"/grading/responses/{to_grade}/")
        assert page_a.status == 200 and "Being graded by" not in page_a.text
        page_b = second_ta.get(f"/grading/responses/{to_grade}/")
        assert page_b.status == 200 and "Being graded by ta_one" in page_b.text

        # Both pages showed version 0; A saves first, so B's save is the conflict and is not applied.
        def grade(client: Client, page, band: int, score: int, feedback: str):
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            return client.post_form(f"/grading/responses/{to_grade}/save/", {
                "csrfmiddlewaretoken": token, "band": band, "score": score, "feedback": feedback,
                "version": 0, "then": "stay"})

        assert grade(first_ta, page_a, site.ids["good_band"], 8, "saved on A").status == 302
        conflict = grade(second_ta, page_b, site.ids["satisfactory_band"], 5, "saved on B")
        assert conflict.status == 409 and "yours was not applied" in conflict.text
        assert site.query("SELECT version, score, feedback FROM grading_grade WHERE response_id = %s", to_grade) == [
            (1, 8, "saved on A")]
        assert sorted(site.query("SELECT kind FROM grading_gradeevent WHERE response_id = %s", to_grade)) == [
            ("conflict_refused",), ("graded",)]

        # One user's autosave limit counts requests on both servers together.
        if time.time() % 60 > 50:  # the limit's window is the clock minute: don't straddle two
            time.sleep(61 - time.time() % 60)
        limited = _logged_in(a, "frances")
        clients, version, statuses = [limited, limited.on(b.url)], 0, []
        for n in range(AUTOSAVE_LIMIT + 2):
            reply = clients[n % 2].post_json(f"/questions/{question}/save", {"text": f"fast {n}", "version": version})
            statuses.append(reply.status)
            if reply.status == 200:
                version = reply.json()["version"]
            else:
                assert reply.headers.get("Retry-After"), reply.headers
        assert statuses == [200] * AUTOSAVE_LIMIT + [429, 429], statuses
