"""Autosave and submit refuse hostile input with a 4xx and a message, write nothing, and bound refused saves."""

import json

import pytest

from courses.models import Response, ResponseRevision, RevisionKind
from courses.services import CONFLICT_REVISIONS_MAX, StaleVersion, response_save_draft
from courses.tests.factories import words

INT32_MAX = 2_147_483_647


def _save_url(world) -> str:
    return f"/questions/{world.question.pk}/save"


def _submit_url(world) -> str:
    return f"/questions/{world.question.pk}/submit"


def _rows() -> tuple[int, int]:
    return Response.objects.count(), ResponseRevision.objects.count()


def _autosave(client, world, body):
    client.force_login(world.student)
    body = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(_save_url(world), body, content_type="application/json")


def _assert_refused_json(reply, *fragments: str) -> None:
    assert 400 <= reply.status_code < 500, reply.status_code
    error = reply.json()["error"]
    for fragment in fragments:
        assert fragment in error


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"text": ' + "[" * 5_000 + "]" * 5_000 + ', "version": 1}',
    '{"text": "x", "version": 1, "extra": ' + "{\"a\": " * 50 + "1" + "}" * 50 + "}",
], ids=["top-level", "in-text", "in-an-extra-field"])
def test_deeply_nested_json_is_a_400_and_writes_nothing(client, world, body):
    before = _rows()
    _assert_refused_json(_autosave(client, world, body), "nested too deeply")
    assert _rows() == before


@pytest.mark.parametrize("version", [
    "Infinity", "-Infinity", "NaN", str(10**30), str(2**63), str(2**31), "-1", "1.5", "1e3", "true", '"²"', "null",
])
def test_a_version_that_is_not_a_small_whole_number_is_a_400(client, world, version):
    before = _rows()
    body = '{"text": "a draft", "version": ' + version + "}"
    reply = _autosave(client, world, body)
    assert 400 <= reply.status_code < 500
    assert reply.json()["error"]
    assert _rows() == before


def test_the_largest_version_the_database_holds_is_read_as_a_stale_save(client, world):
    reply = _autosave(client, world, {"text": "a draft", "version": INT32_MAX})
    assert reply.status_code == 409


@pytest.mark.parametrize("text", ["lone \ud800 surrogate", "trail \udfff", "nul \x00 char", "\x00"],
                         ids=["high-surrogate", "low-surrogate", "nul", "only-nul"])
def test_text_the_database_cannot_store_is_a_400_with_a_clear_message(client, world, text):
    before = _rows()
    reply = _autosave(client, world, {"text": text, "version": 1})
    _assert_refused_json(reply, "characters that can't be saved")
    assert _rows() == before
    assert Response.objects.get(pk=world.response.pk).text == world.response.text


NO_VERSION = "no valid version"
UNSAVABLE = "can&#x27;t be saved"


@pytest.mark.parametrize(("data", "message"), [
    ({"text": words(200) + "\x00", "version": "1"}, UNSAVABLE),
    ({"text": words(200), "version": str(2**31)}, NO_VERSION),
    ({"text": words(200), "version": str(10**30)}, NO_VERSION),
    ({"text": words(200), "version": "²"}, NO_VERSION),
    ({"text": words(200), "version": "-1"}, NO_VERSION),
    ({"text": words(200)}, NO_VERSION),
], ids=["nul", "2^31", "10^30", "superscript", "negative", "missing"])
def test_a_submission_with_bad_input_is_refused_with_a_message(client, world, data, message):
    client.force_login(world.student)
    before = _rows()
    reply = client.post(_submit_url(world), data, follow=True)
    assert reply.redirect_chain and reply.status_code == 200
    assert message in reply.content.decode()
    assert _rows() == before


def test_a_json_submission_with_a_lone_surrogate_is_refused(client, world):
    client.force_login(world.student)
    before = _rows()
    body = json.dumps({"text": words(200) + "\ud800", "version": 1})
    reply = client.post(_submit_url(world), body, content_type="application/json", follow=True)
    assert UNSAVABLE in reply.content.decode()
    assert _rows() == before


def _conflicts(response) -> int:
    return ResponseRevision.objects.filter(response=response, kind=RevisionKind.CONFLICT).count()


def test_two_hundred_stale_saves_store_at_most_the_cap(client, world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "autosave": "1000/m"}  # the cap must hold without the limit
    for i in range(200):
        reply = _autosave(client, world, {"text": f"stale attempt {i} " + words(150), "version": 0})
        assert reply.status_code == 409
    assert _conflicts(world.response) == CONFLICT_REVISIONS_MAX
    # The refusal still hands back the saved text, and says the browser's copy is the one to keep.
    last = reply.json()
    assert last["current_text"] == world.response.text and last["conflict"] is True
    assert "still in this box" in last["error"]


def test_a_repeated_stale_save_of_the_same_text_stores_one_revision(world):
    for _ in range(50):
        with pytest.raises(StaleVersion) as refused:
            response_save_draft(student=world.student, question=world.question, text="same stale text", base_version=0)
    assert _conflicts(world.response) == 1
    assert "kept in your history" in refused.value.message


def test_the_first_stale_save_is_kept_in_history(world):
    with pytest.raises(StaleVersion):
        response_save_draft(student=world.student, question=world.question, text="from another tab", base_version=0)
    kept = ResponseRevision.objects.get(response=world.response, kind=RevisionKind.CONFLICT)
    assert (kept.text, kept.base_version, kept.version) == ("from another tab", 0, None)
