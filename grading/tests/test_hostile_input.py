"""The grading endpoints refuse hostile band, score, response and text values with a message, before any write."""

import pytest

from grading.models import Comment, Grade, GradeEvent, RegradeRequest, RegradeStatus
from grading.tests.helpers import band, with_regrade

HOSTILE_NUMBERS = ["²", "1.5", "-1", "1e3", str(2**31), str(2**63), str(10**30), "9" * 5000, "NaN", "0x10", "x"]
IDS = ["superscript-2", "decimal", "negative", "exponent", "2^31", "2^63", "10^30", "5000-digits", "NaN", "hex", "x"]


def _grading_rows() -> tuple[int, ...]:
    return Grade.objects.count(), GradeEvent.objects.count(), Comment.objects.count()


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=IDS)
def test_a_hostile_band_is_refused_with_a_message(client, world, value):
    client.force_login(world.ta)
    before = _grading_rows()
    reply = client.post(f"/grading/responses/{world.response.pk}/save/",
                        {"band": value, "score": 9, "feedback": "", "version": 0})
    assert reply.status_code == 400
    assert 'class="messages"' in reply.content.decode() or "error" in reply.content.decode()
    assert _grading_rows() == before


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=IDS)
def test_a_hostile_score_is_refused_with_a_message(client, world, value):
    client.force_login(world.ta)
    before = _grading_rows()
    reply = client.post(f"/grading/responses/{world.response.pk}/save/",
                        {"band": band(world.question, "EXCELLENT").pk, "score": value, "version": 0})
    assert reply.status_code == 400
    assert _grading_rows() == before


@pytest.mark.parametrize("value", ["²", str(2**31), str(10**30)])
def test_a_hostile_version_is_refused_with_a_message(client, world, value):
    client.force_login(world.ta)
    before = _grading_rows()
    reply = client.post(f"/grading/responses/{world.response.pk}/save/",
                        {"band": band(world.question, "EXCELLENT").pk, "score": 9, "version": value})
    assert reply.status_code == 400
    assert _grading_rows() == before


@pytest.mark.parametrize("value", ["²", str(2**31), str(10**30), "-3", "abc"])
def test_a_hostile_response_in_the_comment_bank_saves_nothing(client, world, value):
    client.force_login(world.ta)
    reply = client.post(f"/grading/questions/{world.question.pk}/comments/",
                        {"text": "Quantify the cost.", "response": value}, follow=True)
    assert reply.status_code == 200
    assert "That response is not one of this question&#x27;s" in reply.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=IDS)
def test_a_hostile_band_or_score_in_a_regrade_answer_changes_nothing(client, world, value):
    regrade = with_regrade(world)
    client.force_login(world.ta)
    before = _grading_rows()
    for field in ("band", "score"):
        reply = client.post(f"/grading/regrades/{regrade.pk}/answer/",
                            {"reply": "Looked again.", field: value, "version": 1}, follow=True)
        assert reply.status_code == 200 and 'class="messages"' in reply.content.decode()
    assert _grading_rows() == before
    assert RegradeRequest.objects.get(pk=regrade.pk).status == RegradeStatus.OPEN


@pytest.mark.parametrize(("url", "data"), [
    ("/grading/responses/{response}/save/", {"band": "{band}", "score": 9, "version": 0, "feedback": "a\x00b"}),
    ("/grading/questions/{question}/comments/", {"text": "a\x00b"}),
    ("/grading/regrades/{regrade}/answer/", {"reply": "a\x00b", "version": 1}),
], ids=["feedback", "comment", "regrade-reply"])
def test_text_with_a_nul_is_refused_before_any_write(client, world, url, data):
    regrade = with_regrade(world)
    client.force_login(world.ta)
    before = _grading_rows()
    url = url.format(response=world.response.pk, question=world.question.pk, regrade=regrade.pk)
    data = {k: (str(band(world.question, "EXCELLENT").pk) if v == "{band}" else v) for k, v in data.items()}
    reply = client.post(url, data, follow=True)
    assert reply.status_code in (200, 400)
    assert "can&#x27;t be saved" in reply.content.decode()
    assert _grading_rows() == before


def test_a_regrade_reason_with_a_nul_is_refused(client, world):
    from grading.tests.helpers import graded_and_released

    graded_and_released(world)
    client.force_login(world.student)
    reply = client.post(f"/grading/responses/{world.response.pk}/regrade/", {"reason": "a\x00b"}, follow=True)
    assert "can&#x27;t be saved" in reply.content.decode()
    assert not RegradeRequest.objects.exists()
