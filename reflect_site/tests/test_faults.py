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
from collections import Counter
from dataclasses import dataclass, field

import psycopg
import pytest

from reflect_site.health import DATABASE_UNAVAILABLE
from reflect_site.tests.servers import (
    AppServer,
    Client,
    app_server,
    new_secret_key,
    prepare_database,
    private_postgres,
    production_env,
    run_python,
)

pytestmark = pytest.mark.postgres_only

STUDENTS = ["ada", "grace", "edsger", "barbara", "donald", "frances"]
TAS = ["ta_one", "ta_two"]
AUTOSAVE_LIMIT = 15  # per minute, for the two-server test's own app servers (above its other users' saves)

SEED = """
import json
from courses.models import Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user
course = make_course("faults", title="Faults")
module = make_module(course, 1, slug="drafts")
open_question = make_question(module, 1, title="Written while things break")
graded_question = make_question(module, 2, title="Graded across two servers")
users = {}
for name in STUDENTS:
    users[name] = make_user(name, password=f"{name}-password")
    enroll(users[name], course)
for name in TAS:
    enroll(make_user(name, password=f"{name}-password"), course, Role.TA)
to_grade = make_response(users["ada"], graded_question)
print(json.dumps({
    "open_question": open_question.pk, "to_grade": to_grade.pk,
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
        prepare_database(env)
        ids = run_python(env, f"STUDENTS = {STUDENTS!r}\nTAS = {TAS!r}\n" + SEED)
        yield Site(cluster, url, secret_key, ids)


def _logged_in(server: AppServer, username: str) -> Client:
    client = Client(server.url)
    client.login(username, f"{username}-password")
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
class Typist:
    """One student autosaving as fast as the server answers, from the version of their last acknowledged save."""

    client: Client
    question_id: int
    name: str
    acked: list[tuple[int, str]] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    unavailable_since_outage: int = 0
    acked_after_restart: int = 0

    def run(self, stop: threading.Event, restarted: threading.Event, deadline: float, max_requests: int) -> None:
        version = 0
        for n in range(max_requests):
            if time.monotonic() > deadline:
                break
            text = f"{self.name} draft {n}: " + "softmax normalises exponentials " * 10
            try:
                reply = self.client.post_json(f"/questions/{self.question_id}/save",
                                              {"text": text, "version": version}, timeout=10)
            except OSError as error:
                self.unexpected.append(f"no answer: {error!r}")
                continue
            self.statuses[reply.status] += 1
            if reply.status == 200:
                version = reply.json()["version"]
                self.acked.append((version, text))
                if restarted.is_set():
                    self.acked_after_restart += 1
                if stop.is_set():
                    break  # so the last request of the loop is an acknowledged one
            elif reply.status == 503:
                self.unavailable_since_outage += 1
                body = reply.json()
                if body.get("error") != DATABASE_UNAVAILABLE or not reply.headers.get("Retry-After"):
                    self.unexpected.append(f"503 without the message or Retry-After: {reply.text[:300]}")
            else:
                self.unexpected.append(f"{reply.status}: {reply.text[:300]}")
            time.sleep(0.03)


def test_postgres_restarted_under_autosave_load_answers_503_then_recovers_and_loses_no_acknowledged_save(
        site, tmp_path):
    cluster = site.cluster
    with app_server(site.env(), workers=3, log_path=tmp_path / "gunicorn.log") as server:
        typists = [Typist(_logged_in(server, name), site.ids["open_question"], name) for name in STUDENTS[:3]]
        anonymous = Client(server.url)
        stop, restarted = threading.Event(), threading.Event()
        deadline = time.monotonic() + 60
        threads = [threading.Thread(target=t.run, args=(stop, restarted, deadline, 3000), daemon=True)
                   for t in typists]
        for thread in threads:
            thread.start()
        try:
            assert _wait_for(lambda: all(len(t.acked) >= 5 for t in typists), 20), "the load never got going"
            for t in typists:
                t.unavailable_since_outage = 0
            cluster.stop("fast")
            assert _wait_for(lambda: all(t.unavailable_since_outage >= 3 for t in typists), 15), (
                [t.statuses for t in typists])

            health = anonymous.get("/healthz")
            assert health.status == 503 and health.json()["status"] == "unavailable"
            page = typists[0].client.get("/")  # a page, not JSON: the small HTML page with the same message
            assert page.status == 503, page.text[:500]
            assert DATABASE_UNAVAILABLE in page.text and "Traceback" not in page.text
            assert page.headers["Content-Type"].startswith("text/html") and page.headers["Retry-After"]

            cluster.start()
            restarted.set()
            back_at = time.monotonic()
            recovered = _wait_for(lambda: all(t.acked_after_restart >= 2 for t in typists), 15)
            recovery_s = time.monotonic() - back_at
            assert recovered, f"service did not recover by itself: {[t.statuses for t in typists]}"
            assert recovery_s < 10, f"recovery took {recovery_s:.1f} s"
            assert anonymous.get("/healthz").json() == {"status": "ok"}
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)

    for t in typists:
        # Only acknowledged saves and clean 503s: no 500, and no 409, which would mean a save was
        # applied without being acknowledged (or an acknowledged version was lost).
        assert not t.unexpected, t.unexpected[:5]
        assert set(t.statuses) == {200, 503}, t.statuses
        assert _draft(site, t.name) == t.acked[-1], f"{t.name}'s last acknowledged save is not the draft"
        saved = _saved_versions(site, t.name)
        lost = [(version, text) for version, text in t.acked if saved.get(version) != text]
        assert not lost, f"{t.name}: acknowledged saves missing from the history: {lost[:3]}"


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
    with app_server(site.env(), workers=2, log_path=tmp_path / "gunicorn.log") as server:
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
