"""Fuzz every endpoint that takes user input, as every role, with hostile values.

For each request the site must:
- never answer 5xx (the test client re-raises a view's exception, so a crash fails here too);
- answer bad input with a 4xx that says why: JSON {"error": ...} from JSON endpoints, a visible
  error on form pages (a redirect carrying an error message is fine for form posts);
- write nothing when it refuses: the domain tables' row counts are compared around every 4xx
  (a 409 conflict is the exception: it records the refused save, by design, once at most).
429 (rate limited) is a fine answer. Each example runs in a savepoint that is rolled back, so
examples don't see each other's writes.

FUZZ_EXAMPLES sets the budget per endpoint (15 by default, so `make test` stays quick; `make fuzz`
raises it). The login form is left out: django-axes would lock the account.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.messages import constants as message_levels
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import Module, Question, Response, ResponseRevision, RubricBand
from courses.tests.factories import words
from grading.models import Comment, Grade, GradeEvent, GradeRelease, NameReveal, RegradeRequest, ReleaseEvent
from grading.tests.helpers import graded_and_released, with_regrade

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

ROLES = ("anonymous", "student", "ta", "instructor", "outsider")
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=max(2, math.ceil(FUZZ_EXAMPLES / len(ROLES))),
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz", FUZZ)

DOMAIN_MODELS = (Module, Question, RubricBand, Response, ResponseRevision, Grade, GradeEvent, Comment,
                 RegradeRequest, GradeRelease, ReleaseEvent, NameReveal)
# Refusals that are audited by design (a stale save is kept in history), at most one row each.
AUDITED_REFUSALS = {409}
# Statuses that answer "not for you" rather than "bad input": no message is required.
ACCESS_STATUSES = {401, 403, 404, 405}
# How a page shows an error: the messages list, a form's error list, an alert paragraph, or the 400 page.
VISIBLE_ERRORS = ('class="messages"', 'class="errorlist', 'class="message error" role="alert" id=', 'class="error',
                  "That request could not be used")

# --- hostile values -------------------------------------------------------------------------

SPECIAL_STRINGS = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ufeff", "\u202e", "\u200b", "²", "٣", "𝟘", "Ⅻ",
    "-1", "0", "1.5", "1e3", "1e400", "NaN", "Infinity", "-Infinity", "0x1F", " 7 ", "9" * 5000,
    str(2**31 - 1), str(2**31), str(2**63), str(10**30), "true", "null", "[]", "{}",
    "<script>alert(1)</script>", "' OR 1=1 --", "{{ 7*7 }}", "../../etc/passwd", "%00", "\r\n\r\n",
    "[" * 2000, "*" * 3000, "e\u0301" * 500, "中文字符" * 100,
]
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
hostile_text = st.one_of(
    st.sampled_from(SPECIAL_STRINGS),
    st.text(any_char, max_size=40),
    st.text(max_size=40),
    st.sampled_from([1_000, 30_000, 120_000]).map(lambda n: "word " * (n // 5)),
    st.integers(150, 300).map(words),
)
hostile_number = st.one_of(
    st.integers(-3, 12),
    st.integers(),
    st.sampled_from([2**31 - 1, 2**31, 2**63, -(2**63), 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
json_scalar = st.one_of(hostile_number, hostile_text)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def deep(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def json_body(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[bytes]:
    """An object with some of `fields` (hostile or plausible), maybe extra keys, or a broken body."""
    objects = st.fixed_dictionaries({}, optional={**fields, "extra": json_value, "\x00": json_value}).map(
        lambda d: json.dumps(d).encode()  # NaN/Infinity literals and \ud800 escapes pass through
    )
    nested = st.integers(30, 20_000).map(lambda d: ('{"text": "x", "version": 1, "x": ' + deep(d) + "}").encode())
    return st.one_of(
        objects, objects, objects,
        nested,
        st.integers(1, 100_000).map(lambda d: deep(d).encode()),
        json_value.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"{", b'{"text": "a", "version": 1', b"\xff\xfe", b'{"text": "\\ud800", "version": 1}',
                         b'{"version": NaN, "text": "a"}', b'{"version": 1e999, "text": "a"}']),
    )


def as_form_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, bool | None) else str(value)


form_value = st.one_of(hostile_text, hostile_number.map(as_form_value))


def form_body(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[bytes]:
    """URL-encoded bytes built by hand, so lone surrogates and invalid UTF-8 arrive as a client could send them."""

    def encode(data: dict) -> bytes:
        pairs = []
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            for one in values:
                raw = one if isinstance(one, bytes) else as_form_value(one).encode("utf-8", "surrogatepass")
                pairs.append(quote_from_bytes(key.encode()) + "=" + quote_from_bytes(raw))
        return "&".join(pairs).encode()

    extra = {"extra": form_value, "raw": st.binary(max_size=30)}
    return st.fixed_dictionaries({}, optional={**fields, **extra}).map(encode)


def query_string(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[str]:
    return form_body(fields).map(lambda b: "?" + b.decode("ascii"))


def path_ids() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(0, 10), st.integers(0, 10**30), st.just(2**31), st.just(2**63)).map(
        lambda n: f"{n}/"
    )


# --- endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str  # "json", "form" (POST bodies) or "get" (query strings)
    url: Callable[[object], str]
    body: Callable[[object], st.SearchStrategy]  # world → strategy of a body (bytes) or query string
    setup: Callable[[object], object] | None = None


def _bands(world) -> st.SearchStrategy:
    return st.one_of(st.sampled_from([b.pk for b in world.question.bands.all()]), form_value)


def _scores() -> st.SearchStrategy:
    return st.one_of(st.integers(0, 10), form_value)


def _versions() -> st.SearchStrategy:
    return st.one_of(st.integers(0, 3), hostile_number)


FUNCTIONS = ["relu", "sigmoid", "tanh", "gelu", "softmax", "leaky_relu"]
DTYPES = ["float16", "float32", "float64"]

ENDPOINTS = [
    Endpoint("autosave", "json", lambda w: f"/questions/{w.question.pk}/save",
             lambda w: json_body({"text": st.one_of(hostile_text, json_value), "version": _versions()})),
    Endpoint("submit", "form", lambda w: f"/questions/{w.question.pk}/submit",
             lambda w: form_body({"text": hostile_text, "version": _versions().map(as_form_value)})),
    Endpoint("submit-as-json", "json", lambda w: f"/questions/{w.question.pk}/submit",
             lambda w: json_body({"text": hostile_text, "version": _versions()})),
    Endpoint("grade-save", "form", lambda w: f"/grading/responses/{w.response.pk}/save/",
             lambda w: form_body({"band": _bands(w), "score": _scores(), "feedback": hostile_text,
                                  "version": _versions().map(as_form_value), "resolve": form_value,
                                  "then": st.sampled_from(["next", "stay", "\x00"])})),
    Endpoint("lease", "form", lambda w: f"/grading/responses/{w.response.pk}/lease/", lambda w: form_body({})),
    Endpoint("reveal", "form", lambda w: f"/grading/responses/{w.response.pk}/reveal/", lambda w: form_body({})),
    Endpoint("comment-add", "form", lambda w: f"/grading/questions/{w.question.pk}/comments/",
             lambda w: form_body({"text": hostile_text,
                                  "response": st.one_of(st.just(w.response.pk), form_value)})),
    Endpoint("release-question", "form", lambda w: f"/grading/questions/{w.question.pk}/release/",
             lambda w: form_body({"released": st.one_of(st.sampled_from(["0", "1"]), form_value)})),
    Endpoint("release-module", "form", lambda w: f"/grading/{w.course.slug}/modules/{w.module.slug}/release/",
             lambda w: form_body({"released": st.one_of(st.sampled_from(["0", "1"]), form_value)})),
    Endpoint("regrade-request", "form", lambda w: f"/grading/responses/{w.response.pk}/regrade/",
             lambda w: form_body({"reason": hostile_text}), setup=graded_and_released),
    Endpoint("regrade-answer", "form", lambda w: f"/grading/regrades/{w.response.regrade_request.pk}/answer/",
             lambda w: form_body({"reply": hostile_text, "band": _bands(w), "score": _scores(),
                                  "version": _versions().map(as_form_value)}), setup=with_regrade),
    Endpoint("evaluate", "json", lambda w: "/activations/api/evaluate",
             lambda w: json_body({"function": st.one_of(st.sampled_from(FUNCTIONS), json_value),
                                  "x": st.one_of(st.lists(hostile_number, max_size=20), json_value),
                                  "dtype": st.one_of(st.sampled_from(DTYPES), json_value),
                                  "variant": st.one_of(st.sampled_from(["stable", "naive", "clipped"]), json_value),
                                  "slope": hostile_number})),
    Endpoint("benchmark", "json", lambda w: "/activations/api/benchmark",
             lambda w: json_body({"functions": st.one_of(st.lists(st.sampled_from(FUNCTIONS), max_size=2), json_value),
                                  "n": st.one_of(st.sampled_from([1_000, 999, 1_000_001]), hostile_number),
                                  "dtype": st.one_of(st.sampled_from(DTYPES), json_value)})),
    Endpoint("cost-lab", "form", lambda w: "/activations/cost/",
             lambda w: form_body({"functions": st.one_of(st.lists(st.sampled_from(FUNCTIONS), max_size=2), form_value),
                                  "n": st.one_of(st.sampled_from(["1000", "999"]), form_value),
                                  "dtype": st.one_of(st.sampled_from(DTYPES), form_value)})),
    Endpoint("import-fields", "form", lambda w: f"/authoring/{w.course.slug}/import/",
             lambda w: form_body({"module": form_value, "force": form_value, "payload": form_value})),
    Endpoint("queue", "get", lambda w: f"/grading/questions/{w.question.pk}/",
             lambda w: query_string({"filter": form_value, "page": form_value})),
    Endpoint("gradebook", "get", lambda w: f"/grading/{w.course.slug}/gradebook/",
             lambda w: query_string({"sort": form_value, "per_page": form_value, "page": form_value})),
    Endpoint("gradebook-export", "get", lambda w: f"/grading/{w.course.slug}/gradebook/export/",
             lambda w: query_string({"format": st.one_of(st.sampled_from(["csv", "canvas"]), form_value),
                                     "grades": st.one_of(st.sampled_from(["all", "released"]), form_value)})),
    Endpoint("analytics", "get", lambda w: f"/grading/{w.course.slug}/analytics/",
             lambda w: query_string({"question": form_value})),
    Endpoint("export-module", "get", lambda w: f"/authoring/{w.course.slug}/{w.module.slug}/export/",
             lambda w: query_string({"format": form_value})),
    Endpoint("explorer", "get", lambda w: "/activations/",
             lambda w: query_string({"functions": st.one_of(st.sampled_from(FUNCTIONS), form_value),
                                     "dtype": form_value, "start": form_value, "stop": form_value,
                                     "points": form_value, "vector": form_value, "slope": form_value})),
    Endpoint("stability-lab", "get", lambda w: "/activations/stability/", lambda w: query_string({"x": form_value})),
    Endpoint("precision-lab", "get", lambda w: "/activations/precision/",
             lambda w: query_string({"function": form_value, "x": form_value, "slope": form_value})),
    Endpoint("question-page", "get", lambda w: f"/questions/{w.question.pk}/", lambda w: query_string({})),
    # Ids in the path: the URL converter takes any digits, so huge ones reach the queries.
    Endpoint("question-by-id", "get", lambda w: "/questions/", lambda w: path_ids()),
    Endpoint("response-by-id", "get", lambda w: "/responses/", lambda w: path_ids()),
    Endpoint("grading-by-id", "get", lambda w: "/grading/responses/", lambda w: path_ids()),
]

# --- the checks ------------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in DOMAIN_MODELS}


def _queued_messages(reply) -> list:
    storage = getattr(reply.wsgi_request, "_messages", None)
    return list(getattr(storage, "_queued_messages", []))


def _send(client, endpoint: Endpoint, url: str, body):
    if endpoint.method == "get":
        return client.get(url + body)
    content_type = "application/json" if endpoint.method == "json" else "application/x-www-form-urlencoded"
    return client.post(url, body, content_type=content_type)


def _check(endpoint: Endpoint, reply, before: dict[str, int], after: dict[str, int]) -> None:
    status = reply.status_code
    where = f"{endpoint.name}: {status}"
    assert status < 500, where
    refused = 400 <= status < 500
    if refused and status not in ACCESS_STATUSES:
        if endpoint.method == "json" and status != 429:
            error = reply.json().get("error")
            assert isinstance(error, str) and error.strip(), f"{where} without an error message"
        elif reply.get("Content-Type", "").startswith("text/html"):
            page = reply.content.decode()
            assert any(mark in page for mark in VISIBLE_ERRORS), (
                f"{where} shows no error"
            )
    errors_only = _queued_messages(reply) and all(m.level >= message_levels.ERROR for m in _queued_messages(reply))
    if status in AUDITED_REFUSALS:
        grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
        assert set(grown) <= {"ResponseRevision", "GradeEvent"} and all(n <= 1 for n in grown.values()), (
            f"{where} wrote {grown}"
        )
    elif refused or (300 <= status < 400 and errors_only):
        assert after == before, f"{where} refused but wrote: {before} → {after}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_hostile_input_never_crashes_and_a_refusal_writes_nothing(client, world, endpoint: Endpoint, role: str):
    if endpoint.setup:
        endpoint.setup(world)
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    url = endpoint.url(world)
    bodies = endpoint.body(world)

    @FUZZ
    @given(body=bodies)
    def fuzz(body) -> None:
        with transaction.atomic():
            before = _counts()
            reply = _send(client, endpoint, url, body)
            _check(endpoint, reply, before, _counts())
            transaction.set_rollback(True)

    fuzz()
