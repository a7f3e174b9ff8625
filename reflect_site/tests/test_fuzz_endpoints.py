"""Fuzz every endpoint that takes user input, as every role, with hostile values.

The endpoints in ENDPOINTS are fuzzed field by field (a valid request with one field made hostile,
a field missing, extra fields, deep JSON, broken bytes); every other URL of the access matrix is
fuzzed from its case's valid data, so a new view is covered as soon as its access case exists.
For each request the site must:
- never answer 5xx (the test client re-raises a view's exception, so a crash fails here too);
- answer bad input with a 4xx that says why: JSON {"error": ...} from JSON endpoints, a visible
  error on form pages (a redirect carrying an error message is fine for form posts);
- write nothing when it refuses: the domain tables' row counts are compared around every 4xx and
  every redirect that carries only error messages. Two refusals keep one row by design: a 409
  conflict records the refused save, and a submission outside the word range is kept as a draft.
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
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.tests.access_cases_notices import _student_notice
from courses.tests.factories import words
from grading.tests.helpers import graded_and_released, with_regrade

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

ROLES = ("anonymous", "student", "ta", "instructor", "outsider")
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=max(2, math.ceil(FUZZ_EXAMPLES / len(ROLES))),  # per role
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz", FUZZ)
# Endpoints derived from the access matrix are fuzzed only generically; they get two thirds of the budget.
FUZZ_DERIVED = settings(FUZZ, max_examples=max(2, math.ceil(FUZZ_EXAMPLES * 2 / 3 / len(ROLES))))

# Every table of the site's own apps, except bookkeeping that any request may write: rate-limit
# windows and site slots, and the grading lease a grading page (re)takes even when it shows an error.
NOT_COUNTED = {"RateLimitWindow", "SiteSlot", "GradingLease"}
COUNTED_MODELS = [
    model for model in apps.get_models()
    if (model.__module__.split(".")[0] in {"courses", "grading", "activations", "reflect_site", "django_tasks_db"}
        or model._meta.label == "auth.User")
    and model.__name__ not in NOT_COUNTED
]
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


def as_form_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, bool | None) else str(value)


form_value = st.one_of(hostile_text, hostile_number.map(as_form_value))
# What a number field may receive: Unicode digits that isdigit() accepts and int() refuses,
# out-of-range integers, floats, and strings built from digit-like characters.
NUMERIC_STRINGS = ["²", "³", "¹", "٣", "𝟘", "০", "Ⅻ", "-1", "-0", "+1", "1.5", "1e3", "1e400", "NaN", "Infinity",
                   "0x1F", " 7 ", "9" * 5000, str(2**31 - 1), str(2**31), str(2**63), str(10**30), "", "\x00", "1\x00"]
numeric_form_value = st.one_of(
    st.sampled_from(NUMERIC_STRINGS),
    hostile_number.map(as_form_value),
    st.text(st.sampled_from("0123456789²³¹٣০-+. e"), max_size=12),
)
numeric_json_value = st.one_of(hostile_number, st.sampled_from(NUMERIC_STRINGS), json_value)


def variants(valid: dict, hostile: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """Mostly a valid request with one field made hostile, so each example reaches the check behind
    the others; also a field missing, an extra field, any mix of hostile fields, and the valid one."""
    one_bad = st.sampled_from(sorted(hostile)).flatmap(lambda key: hostile[key].map(lambda v: {**valid, key: v}))
    strategies = [one_bad, one_bad, one_bad, one_bad, st.fixed_dictionaries({}, optional=hostile), st.just(valid),
                  form_value.map(lambda v: {**valid, "extra": v})]
    if valid:
        strategies.append(st.sampled_from(sorted(valid)).map(lambda k: {f: v for f, v in valid.items() if f != k}))
    return st.one_of(strategies)


def json_body(valid: dict, hostile: dict[str, st.SearchStrategy]) -> st.SearchStrategy[bytes]:
    """A JSON object from `variants`, or deep nesting, or another JSON value, or broken bytes."""
    objects = variants(valid, hostile).map(
        lambda d: json.dumps(d).encode()  # NaN/Infinity literals and \ud800 escapes pass through
    )
    return st.one_of(
        objects, objects, objects, objects, objects,
        st.integers(30, 20_000).map(lambda d: json.dumps(valid)[:-1].encode() + b', "x": ' + deep(d).encode() + b"}"),
        st.integers(1, 100_000).map(lambda d: deep(d).encode()),
        json_value.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"{", b'{"text": "a", "version": 1', b"\xff\xfe", b'{"text": "\\ud800", "version": 1}',
                         b'{"version": NaN, "text": "a"}', b'{"version": 1e999, "text": "a"}']),
    )


def _urlencode(data: dict) -> bytes:
    """URL-encoded by hand, so lone surrogates and invalid UTF-8 arrive as a client could send them."""
    pairs = []
    for key, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            raw = one if isinstance(one, bytes) else as_form_value(one).encode("utf-8", "surrogatepass")
            pairs.append(quote_from_bytes(key.encode("utf-8", "surrogatepass")) + "=" + quote_from_bytes(raw))
    return "&".join(pairs).encode()


def form_body(valid: dict, hostile: dict[str, st.SearchStrategy]) -> st.SearchStrategy[bytes]:
    raw = {"raw-bytes": st.binary(max_size=30)}
    return st.one_of(variants(valid, hostile), variants(valid, {**hostile, **raw})).map(_urlencode)


def query_string(valid: dict, hostile: dict[str, st.SearchStrategy]) -> st.SearchStrategy[str]:
    return form_body(valid, hostile).map(lambda b: "?" + b.decode("ascii"))


def path_ids() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(0, 10), st.integers(0, 10**30), st.just(2**31), st.just(2**63)).map(
        lambda n: f"{n}/"
    )


# --- endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL name for endpoints derived from the access matrix
    method: str  # "json", "form" (POST bodies) or "get" (query strings)
    url: Callable[[object], str]
    body: Callable[[object], st.SearchStrategy]  # world → strategy of a body (bytes) or query string
    setup: Callable[[object], object] | None = None
    derived: bool = False  # from the access matrix rather than written field by field
    answers_json: bool | None = None  # by default, JSON endpoints answer JSON
    # Tables a refusal may add one row to by design (a submission outside the word range is kept as a draft).
    refusal_keeps: frozenset[str] = frozenset()

    @property
    def json_answers(self) -> bool:
        return self.method == "json" if self.answers_json is None else self.answers_json


def _band(world, label: str) -> int:
    return world.question.bands.get(label=label).pk


def _bands(world) -> st.SearchStrategy:
    return st.one_of(st.sampled_from([b.pk for b in world.question.bands.all()]), numeric_form_value, form_value)


DRAFT_KEPT = frozenset({"ResponseRevision"})
FUNCTIONS = ["relu", "sigmoid", "tanh", "gelu", "softmax", "leaky_relu"]
DTYPES = ["float16", "float32", "float64"]
text_json = st.one_of(hostile_text, json_value)
any_json = st.one_of(json_value, hostile_text, hostile_number)

ENDPOINTS = [
    Endpoint("autosave", "json", lambda w: f"/questions/{w.question.pk}/save",
             lambda w: json_body({"text": "a draft", "version": 1},
                                 {"text": text_json, "version": numeric_json_value})),
    Endpoint("submit", "form", lambda w: f"/questions/{w.question.pk}/submit",
             lambda w: form_body({"text": words(200), "version": "1"},
                                 {"text": hostile_text, "version": numeric_form_value}),
             refusal_keeps=DRAFT_KEPT),
    Endpoint("submit-as-json", "json", lambda w: f"/questions/{w.question.pk}/submit",
             lambda w: json_body({"text": words(200), "version": 1},
                                 {"text": text_json, "version": numeric_json_value}),
             answers_json=False, refusal_keeps=DRAFT_KEPT),
    Endpoint("grade-save", "form", lambda w: f"/grading/responses/{w.response.pk}/save/",
             lambda w: form_body(
                 {"band": _band(w, "EXCELLENT"), "score": "9", "feedback": "Good.", "version": "0", "then": "next"},
                 {"band": _bands(w), "score": numeric_form_value, "feedback": hostile_text,
                  "version": numeric_form_value, "resolve": form_value, "then": form_value})),
    Endpoint("lease", "form", lambda w: f"/grading/responses/{w.response.pk}/lease/",
             lambda w: form_body({}, {"extra": form_value})),
    Endpoint("reveal", "form", lambda w: f"/grading/responses/{w.response.pk}/reveal/",
             lambda w: form_body({}, {"extra": form_value})),
    Endpoint("comment-add", "form", lambda w: f"/grading/questions/{w.question.pk}/comments/",
             lambda w: form_body({"text": "Quantify the cost.", "response": w.response.pk},
                                 {"text": hostile_text, "response": numeric_form_value})),
    Endpoint("release-question", "form", lambda w: f"/grading/questions/{w.question.pk}/release/",
             lambda w: form_body({"released": "1"}, {"released": st.one_of(numeric_form_value, form_value)})),
    Endpoint("release-module", "form", lambda w: f"/grading/{w.course.slug}/modules/{w.module.slug}/release/",
             lambda w: form_body({"released": "0"}, {"released": st.one_of(numeric_form_value, form_value)})),
    Endpoint("regrade-request", "form", lambda w: f"/grading/responses/{w.response.pk}/regrade/",
             lambda w: form_body({"reason": "I covered cost."}, {"reason": hostile_text}), setup=graded_and_released),
    Endpoint("regrade-answer", "form", lambda w: f"/grading/regrades/{w.response.regrade_request.pk}/answer/",
             lambda w: form_body({"reply": "Raised.", "band": _band(w, "EXCELLENT"), "score": "9", "version": "1"},
                                 {"reply": hostile_text, "band": _bands(w), "score": numeric_form_value,
                                  "version": numeric_form_value}), setup=with_regrade),
    Endpoint("evaluate", "json", lambda w: "/activations/api/evaluate",
             lambda w: json_body({"function": "relu", "x": [1, 2], "dtype": "float32"},
                                 {"function": st.one_of(st.sampled_from(FUNCTIONS), any_json),
                                  "x": st.one_of(st.lists(hostile_number, max_size=20), any_json),
                                  "dtype": st.one_of(st.sampled_from(DTYPES), any_json),
                                  "variant": st.one_of(st.sampled_from(["stable", "naive", "clipped"]), any_json),
                                  "slope": numeric_json_value})),
    Endpoint("benchmark", "json", lambda w: "/activations/api/benchmark",
             lambda w: json_body({"functions": ["relu"], "n": 1000, "dtype": "float32"},
                                 {"functions": st.one_of(st.lists(st.sampled_from(FUNCTIONS), max_size=2), any_json),
                                  "n": st.one_of(st.sampled_from([999, 1_000_001]), numeric_json_value),
                                  "dtype": st.one_of(st.sampled_from(DTYPES), any_json)})),
    Endpoint("cost-lab", "form", lambda w: "/activations/cost/",
             lambda w: form_body({"functions": ["relu"], "n": "1000", "dtype": "float32"},
                                 {"functions": st.one_of(st.lists(st.sampled_from(FUNCTIONS), max_size=2), form_value),
                                  "n": numeric_form_value, "dtype": form_value})),
    Endpoint("import-fields", "form", lambda w: f"/authoring/{w.course.slug}/import/",
             lambda w: form_body({"module": "activations"},
                                 {"module": form_value, "force": form_value, "payload": form_value})),
    Endpoint("queue", "get", lambda w: f"/grading/questions/{w.question.pk}/",
             lambda w: query_string({"filter": "all", "page": "1"},
                                    {"filter": form_value, "page": numeric_form_value})),
    Endpoint("gradebook", "get", lambda w: f"/grading/{w.course.slug}/gradebook/",
             lambda w: query_string({"sort": "name", "per_page": "50", "page": "1"},
                                    {"sort": form_value, "per_page": numeric_form_value, "page": numeric_form_value})),
    Endpoint("gradebook-export", "get", lambda w: f"/grading/{w.course.slug}/gradebook/export/",
             lambda w: query_string({"format": "csv", "grades": "all"}, {"format": form_value, "grades": form_value})),
    Endpoint("analytics", "get", lambda w: f"/grading/{w.course.slug}/analytics/",
             lambda w: query_string({}, {"question": numeric_form_value})),
    Endpoint("export-module", "get", lambda w: f"/authoring/{w.course.slug}/{w.module.slug}/export/",
             lambda w: query_string({"format": "py"}, {"format": form_value})),
    Endpoint("explorer", "get", lambda w: "/activations/",
             lambda w: query_string(
                 {"functions": "relu", "dtype": "float32", "start": "-5", "stop": "5", "points": "11",
                  "vector": "", "slope": "0.01"},
                 {"functions": form_value, "dtype": form_value, "start": numeric_form_value,
                  "stop": numeric_form_value, "points": numeric_form_value, "vector": form_value,
                  "slope": numeric_form_value})),
    Endpoint("stability-lab", "get", lambda w: "/activations/stability/",
             lambda w: query_string({"x": "1, 2, 3"}, {"x": st.one_of(form_value, numeric_form_value)})),
    Endpoint("precision-lab", "get", lambda w: "/activations/precision/",
             lambda w: query_string({"function": "relu", "x": "1, 2", "slope": "0.01"},
                                    {"function": form_value, "x": st.one_of(form_value, numeric_form_value),
                                     "slope": numeric_form_value})),
    Endpoint("question-page", "get", lambda w: f"/questions/{w.question.pk}/",
             lambda w: query_string({}, {"extra": form_value})),
    Endpoint("notices-read", "form", lambda w: "/account/notices/read",
             lambda w: form_body({"notice": w.notice.pk}, {"notice": numeric_form_value}), setup=_student_notice),
    Endpoint("notices-preferences", "form", lambda w: "/account/notices/preferences/",
             lambda w: form_body({"deadline_reminders": "on"}, {"deadline_reminders": form_value})),
    Endpoint("notices-course", "get", lambda w: f"/manage/{w.course.slug}/notices/",
             lambda w: query_string({"kind": "invitation", "status": "sent", "page": "1"},
                                    {"kind": form_value, "status": form_value, "page": numeric_form_value})),
    # Ids in the path: the URL converter takes any digits, so huge ones reach the queries.
    Endpoint("question-by-id", "get", lambda w: "/questions/", lambda w: path_ids()),
    Endpoint("response-by-id", "get", lambda w: "/responses/", lambda w: path_ids()),
    Endpoint("grading-by-id", "get", lambda w: "/grading/responses/", lambda w: path_ids()),
]
# The access matrix's URL names the endpoints above fuzz field by field.
HAND_WRITTEN = {
    "courses:answer_save", "courses:answer_submit", "grading:save", "grading:lease", "grading:reveal",
    "grading:comment_add", "grading:release_question", "grading:release_module", "grading:regrade_request",
    "grading:regrade_answer", "activations:api_evaluate", "activations:api_benchmark", "activations:cost_lab",
    "activations:explorer", "activations:stability_lab", "activations:precision_lab", "authoring:import",
    "authoring:export", "grading:queue", "grading:gradebook", "grading:gradebook_export", "grading:analytics",
    "courses:question", "notices:read", "notices:preferences", "notices:course",
}
# Field names a form may read that its access case doesn't send: fuzzed on every derived endpoint.
GENERIC_FIELDS = ("page", "sort", "filter", "format", "q", "version", "name", "title", "text", "email", "code",
                  "position", "section", "points", "due_at", "confirm", "action")
SKIPPED = {"healthz"}  # takes no input


def _hostile_like(value, *, as_json: bool) -> st.SearchStrategy:
    """Hostile values shaped after a valid one: numbers for numbers, lists for lists, text for the rest."""
    if isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit():
        return numeric_json_value if as_json else numeric_form_value
    if isinstance(value, list):
        return st.one_of(st.lists(numeric_form_value | form_value, max_size=3), form_value)
    return st.one_of(json_value, hostile_text) if as_json else form_value


def _derived(case) -> Endpoint:
    """An endpoint of the access matrix, fuzzed from its case's valid data, one field at a time."""
    as_json = case.content_type == "application/json"
    method = "json" if as_json else "form" if case.method == "post" else "get"

    def body(world) -> st.SearchStrategy:
        valid = case.data(world) if case.data else {}
        valid = json.loads(valid) if isinstance(valid, str) else valid
        hostile = {key: _hostile_like(value, as_json=as_json) for key, value in valid.items()}
        hostile.update({key: numeric_form_value | form_value for key in GENERIC_FIELDS if key not in hostile})
        build = json_body if as_json else form_body if method == "form" else query_string
        return build(valid, hostile)

    return Endpoint(case.url_name, method, case.url, body, setup=case.setup, derived=True)


def _derived_endpoints() -> list[Endpoint]:
    from reflect_site.tests.test_access_matrix import CASES

    seen, endpoints = set(), []
    for case in CASES:
        key = (case.url_name, case.method)
        if case.url_name in HAND_WRITTEN or case.url_name in SKIPPED or key in seen:
            continue
        seen.add(key)
        endpoints.append(_derived(case))
    return endpoints


ENDPOINTS += _derived_endpoints()

# --- the checks ------------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    """Row counts of every table the apps write, in one query."""
    tables = [model._meta.db_table for model in COUNTED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables))
        return dict(zip([m.__name__ for m in COUNTED_MODELS], cursor.fetchone(), strict=True))


def _queued_messages(reply) -> list:
    storage = getattr(reply.wsgi_request, "_messages", None)
    return list(getattr(storage, "_queued_messages", []))


def _send(client, endpoint: Endpoint, url: str, body):
    if endpoint.method == "get":
        return client.get(url + ("&" + body[1:] if "?" in url and body.startswith("?") else body))
    content_type = "application/json" if endpoint.method == "json" else "application/x-www-form-urlencoded"
    return client.post(url, body, content_type=content_type)


def _check(endpoint: Endpoint, role: str, reply, before: dict[str, int], after: dict[str, int]) -> None:
    status = reply.status_code
    where = f"{endpoint.name} as {role}: {status}"
    assert status < 500, where
    refused = 400 <= status < 500
    if refused and status not in ACCESS_STATUSES:
        if endpoint.json_answers and status != 429:
            error = reply.json().get("error")
            assert isinstance(error, str) and error.strip(), f"{where} without an error message"
        elif reply.get("Content-Type", "").startswith("text/html"):
            page = reply.content.decode()
            assert any(mark in page for mark in VISIBLE_ERRORS), (
                f"{where} shows no error"
            )
    errors_only = _queued_messages(reply) and all(m.level >= message_levels.ERROR for m in _queued_messages(reply))
    grown = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    if status in AUDITED_REFUSALS:
        allowed = {"ResponseRevision", "GradeEvent"}
    elif refused or (300 <= status < 400 and errors_only):
        allowed = endpoint.refusal_keeps
    else:
        return
    assert set(grown) <= allowed and all(n == 1 for n in grown.values()), f"{where} refused but wrote {grown}"


def _fuzz_as(client, role: str, endpoint: Endpoint, url: str, bodies: st.SearchStrategy) -> None:
    @(FUZZ_DERIVED if endpoint.derived else FUZZ)
    @given(body=bodies)
    def fuzz(body) -> None:
        with transaction.atomic():
            before = _counts()
            reply = _send(client, endpoint, url, body)
            _check(endpoint, role, reply, before, _counts())
            transaction.set_rollback(True)

    fuzz()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_hostile_input_never_crashes_and_a_refusal_writes_nothing(client, world, endpoint: Endpoint):
    if endpoint.setup:
        endpoint.setup(world)
    url = endpoint.url(world)
    bodies = endpoint.body(world)
    for role in ROLES:  # one world per endpoint; each role gets its share of the examples
        client.logout()
        if world.user(role) is not None:
            client.force_login(world.user(role))
        _fuzz_as(client, role, endpoint, url, bodies)
