"""Locust users for bench/load.py: students autosaving and submitting, TAs grading with save-and-next.

bench/load.py runs this headless, in its own process (Locust patches the standard library
with gevent), picking the user classes of each scenario by name. It passes, in the
environment, REFLECT_LOAD_DATA (a JSON file: question ids and one session per user) and
REFLECT_LOAD_OUT (where this process writes, when it quits, every save the server
acknowledged or refused and the count of each status per endpoint), so that bench/load.py
can prove afterwards that nothing acknowledged was lost.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import gevent
from locust import HttpUser, between, constant_pacing, events, task
from locust.exception import StopUser
from requests.cookies import RequestsCookieJar

DATA = json.loads(Path(os.environ["REFLECT_LOAD_DATA"]).read_text()) if "REFLECT_LOAD_DATA" in os.environ else {}
RUSH_WINDOW_S = float(os.environ.get("REFLECT_RUSH_WINDOW_S", "120"))
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'id="answer-version"[^>]*value="(\d+)"|value="(\d+)"[^>]*id="answer-version"')
GRADE_VERSION = re.compile(r'<input type="hidden" name="version" value="(\d+)">')
BAND_INPUT = re.compile(r'name="band" value="(\d+)"[^>]*data-top="(\d+)"')
VOCABULARY = ("relu softmax memory bandwidth exponential overflow float16 kernel cache tensor gradient "
              "batch latency throughput numerically stable subtract maximum before exponentiating").split()

# Filled in while the users run, written out when Locust quits.
draft_acks: list[dict] = []
grade_acks: list[dict] = []
grade_refusals: list[dict] = []
# Saves sent but not (yet) answered without a server error: if one of these was applied, the database may
# be one version past the last acknowledged save, legitimately (a user stopped mid-request, say).
unanswered: dict[int, dict] = {}
_tokens = itertools.count()
statuses: dict[str, Counter] = defaultdict(Counter)
failures: Counter = Counter()
_pools: dict[str, list[str]] = {}
_started_at = [time.monotonic()]


@events.test_start.add_listener
def _on_test_start(environment, **kwargs) -> None:
    _started_at[0] = time.monotonic()


@events.request.add_listener
def _on_request(name, response, exception, **kwargs) -> None:
    # Counted over the whole run, ramp-up included (Locust's own figures may be reset after it).
    status = getattr(response, "status_code", 0) if response is not None else 0
    statuses[name][str(status or f"no answer: {type(exception).__name__}")] += 1
    if exception is not None:
        failures[name] += 1


@events.quitting.add_listener
def _on_quitting(environment, **kwargs) -> None:
    out = os.environ.get("REFLECT_LOAD_OUT")
    if out:
        Path(out).write_text(json.dumps({
            "drafts": draft_acks, "grades": grade_acks, "refused_grades": grade_refusals,
            "unanswered": list(unanswered.values()),
            "statuses": {name: dict(counts) for name, counts in statuses.items()}, "failures": dict(failures),
        }))


def _take(pool: str) -> str:
    """A user of `pool` no other Locust user has: each logs in (has a session) once, and only one user drives it."""
    if pool not in _pools:
        _pools[pool] = list(DATA["pools"][pool])
    if not _pools[pool]:
        raise StopUser()
    return _pools[pool].pop(0)


class LoopbackJar(RequestsCookieJar):
    """Keeps the Secure flag off, so cookies go back over plain HTTP: production settings mark them Secure,
    and TLS would end at a load balancer this benchmark talks past, on 127.0.0.1."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def _sending(record: dict) -> int:
    token = next(_tokens)
    unanswered[token] = record
    return token


def _answered(token: int, reply) -> None:
    if reply.status_code < 500:
        unanswered.pop(token, None)


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(n))


class SignedIn(HttpUser):
    abstract = True
    pool = ""

    def on_start(self) -> None:
        self.username = _take(self.pool)
        self.rng = random.Random(self.username)
        self.client.cookies = LoopbackJar()
        self.client.cookies.set(DATA["session_cookie"], DATA["sessions"][self.username], domain="127.0.0.1", path="/")

    def expect(self, reply, *codes: int) -> bool:
        if reply.status_code in codes:
            reply.success()
            return True
        reply.failure(f"{reply.status_code}: {reply.text[:200]}")
        return False


class Student(SignedIn):
    abstract = True
    question = 0

    def open_question(self) -> bool:
        with self.client.get(f"/questions/{self.question}/", name="question page", catch_response=True) as page:
            if not self.expect(page, 200):
                return False
            self.csrf = CSRF_INPUT.search(page.text).group(1)
            match = VERSION_INPUT.search(page.text)
            self.version = int(match.group(1) or match.group(2))
        self.saves = 0
        return True

    def autosave(self) -> None:
        self.saves += 1
        text = f"{self.username} save {self.saves}: " + _words(self.rng, 150 + self.saves % 50)
        token = _sending({"kind": "draft", "user": self.username, "question": self.question,
                          "version": self.version + 1, "text": text})
        with self.client.post(f"/questions/{self.question}/save", json={"text": text, "version": self.version},
                              headers={"X-CSRFToken": self.csrf}, name="autosave", catch_response=True) as reply:
            _answered(token, reply)
            if self.expect(reply, 200):
                self.version = reply.json()["version"]
                draft_acks.append({"user": self.username, "question": self.question, "version": self.version,
                                   "text": text, "submitted": False})


class SteadyStudent(Student):
    """Writes an answer, autosaving every 2 s."""

    fixed_count = 50
    pool = "steady_students"
    wait_time = constant_pacing(2)

    def on_start(self) -> None:
        super().on_start()
        self.question = DATA["steady_question"]
        self.ready = self.open_question()
        # Users join in batches; without this, whole batches would save at the same instant every 2 s,
        # queueing behind each other as no class of students typing ever does.
        gevent.sleep(self.rng.uniform(0, 2))

    @task
    def type_and_autosave(self) -> None:
        if self.ready:
            self.autosave()
        else:
            self.ready = self.open_question()


class RushStudent(Student):
    """Opens the question shortly before their moment in the two-minute window, saves twice and submits."""

    fixed_count = 300
    pool = "rush_students"

    def wait_time(self) -> float:
        return 3600  # one pass each

    def on_start(self) -> None:
        super().on_start()
        self.question = DATA["rush_question"]
        self.submit_at = _started_at[0] + self.rng.uniform(8, RUSH_WINDOW_S)

    def _sleep_until(self, moment: float) -> None:
        gevent.sleep(max(0.0, moment - time.monotonic()))

    @task
    def finish_and_submit(self) -> None:
        self._sleep_until(self.submit_at - 5)
        if not self.open_question():
            raise StopUser()
        self.autosave()
        gevent.sleep(2)
        self.autosave()
        self._sleep_until(self.submit_at)
        text = f"{self.username} final: " + _words(self.rng, 180)
        token = _sending({"kind": "draft", "user": self.username, "question": self.question,
                          "version": self.version + 1, "text": text})
        with self.client.post(f"/questions/{self.question}/submit", name="submit", allow_redirects=False,
                              data={"text": text, "version": self.version, "csrfmiddlewaretoken": self.csrf},
                              catch_response=True) as reply:
            _answered(token, reply)
            location = reply.headers.get("Location", "")
            if reply.status_code == 302 and location.startswith("/responses/"):
                reply.success()
                draft_acks.append({"user": self.username, "question": self.question, "version": self.version + 1,
                                   "text": text, "submitted": True})
            else:
                reply.failure(f"{reply.status_code} to {location!r}: {reply.text[:200]}")
                raise StopUser()
        with self.client.get(location, name="response page", catch_response=True) as page:
            self.expect(page, 200)
        raise StopUser()


class TA(SignedIn):
    """Grades from a question's queue with save-and-next, a few seconds per answer."""

    abstract = True
    wait_time = between(1, 2)
    stale_every = 0  # every n-th save, also re-post an older save of theirs with its stale version

    def on_start(self) -> None:
        super().on_start()
        questions = DATA["grading_questions"]
        self.question = questions[int(self.username.rsplit("ta", 1)[1]) % len(questions)]
        self.graded: list[dict] = []
        self.posted = 0
        self.page = None
        self.open_queue()

    def open_queue(self) -> None:
        with self.client.get(f"/grading/questions/{self.question}/", name="queue page", catch_response=True) as queue:
            if not self.expect(queue, 200):
                return
            start = re.search(r'href="(/grading/responses/\d+/)" id="start-grading"', queue.text)
        if start:
            self.open_grading_page(start.group(1))

    def open_grading_page(self, path: str) -> None:
        self.page = None
        with self.client.get(path, name="grading page", catch_response=True) as page:
            if self.expect(page, 200):
                bands = BAND_INPUT.findall(page.text)
                self.page = {
                    "path": path, "response": int(path.rstrip("/").rsplit("/", 1)[1]),
                    "csrf": CSRF_INPUT.search(page.text).group(1),
                    "version": int(GRADE_VERSION.search(page.text).group(1)), "bands": bands,
                }

    def post_grade(self, page: dict, *, name: str, then: str):
        band, top = self.rng.choice(page["bands"])
        self.posted += 1  # numbers every save posted, so each has its own feedback to look for afterwards
        feedback = f"{self.username} #{self.posted}: {self.rng.choice(VOCABULARY)}"
        saved = {"response": page["response"], "base_version": page["version"], "band": int(band),
                 "score": int(top), "feedback": feedback}
        token = _sending({"kind": "grade", **saved})
        reply = self.client.post(f"{page['path']}save/", name=name, allow_redirects=False, catch_response=True, data={
            "csrfmiddlewaretoken": page["csrf"], "band": band, "score": top, "feedback": feedback,
            "version": page["version"], "then": then})
        _answered(token, reply)
        return saved, reply

    @task
    def grade_and_next(self) -> None:
        if self.page is None:
            self.open_queue()
            return
        saved, reply = self.post_grade(self.page, name="grade save", then="next")
        with reply:
            if reply.status_code == 302:
                reply.success()
                grade_acks.append(saved)
                self.graded.append({**self.page, "version": saved["base_version"]})
                location = reply.headers["Location"]
            elif reply.status_code == 409:  # another TA saved it first: a refusal is the right answer
                reply.success()
                grade_refusals.append(saved)
                location = None
            else:
                reply.failure(f"{reply.status_code}: {reply.text[:200]}")
                location = None
        if self.stale_every and len(self.graded) % self.stale_every == 0 and len(self.graded) > 1:
            self.post_stale()
        if location and "/grading/responses/" in location:
            self.open_grading_page(location)
        else:
            self.open_queue()

    def post_stale(self) -> None:
        """Save again on a page this TA graded earlier, from the version that page showed: must be refused."""
        earlier = self.graded[-2]
        saved, reply = self.post_grade(earlier, name="grade save (stale, expects 409)", then="stay")
        with reply:
            if reply.status_code == 409:
                reply.success()
                grade_refusals.append(saved)
            else:
                reply.failure(f"a stale save got {reply.status_code}")
                if reply.status_code == 302:
                    grade_acks.append(saved)


class SteadyTA(TA):
    fixed_count = 5
    pool = "steady_tas"


class GradingDayTA(TA):
    fixed_count = 10
    pool = "grading_day_tas"
    stale_every = 10
