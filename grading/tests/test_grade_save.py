"""Saving a grade: the happy path, every refusal, and the audit row each change leaves."""

import html

import pytest
from django.db import IntegrityError, transaction

from courses.models import Response
from courses.tests.factories import make_course, make_module, make_question, make_response, make_user
from grading.models import Grade, GradeEvent, GradeEventKind
from grading.services import GradeConflict, GradingError, grade_save
from grading.tests.helpers import band, grade


def _post(client, response, **data):
    return client.post(f"/grading/responses/{response.pk}/save/", data)


def test_a_ta_saves_a_grade_and_it_is_audited(client, world):
    client.force_login(world.ta)
    excellent = band(world.question, "EXCELLENT")
    reply = _post(client, world.response, band=excellent.pk, score=9, feedback="Solid *analysis*.", version=0)
    assert reply.status_code == 302
    saved = Grade.objects.get(response=world.response)
    assert (saved.score, saved.points, saved.band, saved.version, saved.graded_by) == (9, 10, excellent, 1, world.ta)
    assert saved.feedback == "Solid *analysis*."
    event = GradeEvent.objects.get(response=world.response)
    assert event.kind == GradeEventKind.GRADED
    assert (event.actor, event.old_score, event.new_score, event.old_band, event.new_band) == (
        world.ta, None, 9, "", "EXCELLENT"
    )
    assert event.new_feedback == "Solid *analysis*." and event.version == 1


def test_save_and_next_opens_the_next_ungraded_response_in_pseudonym_order(client, world):
    first, second = sorted([world.response, world.other_response], key=lambda r: r.pseudonym)
    client.force_login(world.ta)
    reply = _post(client, first, band=band(world.question, "GOOD").pk, score=8, version=0, then="next")
    assert reply["Location"] == f"/grading/responses/{second.pk}/"
    reply = _post(client, second, band=band(world.question, "GOOD").pk, score=7, version=0, then="next")
    assert reply["Location"] == f"/grading/questions/{world.question.pk}/"


def test_changing_a_grade_records_old_and_new(client, world):
    grade(world.response, world.ta, score=9, feedback="First look.")
    client.force_login(world.instructor)
    reply = _post(client, world.response, band=band(world.question, "SATISFACTORY").pk, score=5,
                  feedback="On reflection, thin.", version=1, then="stay")
    assert reply.status_code == 302
    saved = Grade.objects.get(response=world.response)
    assert (saved.score, saved.version, saved.graded_by) == (5, 2, world.instructor)
    change = GradeEvent.objects.filter(response=world.response).last()
    assert change.kind == GradeEventKind.CHANGED
    assert (change.old_score, change.new_score, change.old_band, change.new_band) == (9, 5, "EXCELLENT", "SATISFACTORY")
    assert (change.old_feedback, change.new_feedback, change.version) == ("First look.", "On reflection, thin.", 2)


def _assert_refused(client, world, message: str, **data):
    before = (Grade.objects.count(), GradeEvent.objects.count())
    client.force_login(world.ta)
    reply = _post(client, world.response, **data)
    assert reply.status_code == 400
    assert message in reply.content.decode()
    assert (Grade.objects.count(), GradeEvent.objects.count()) == before


def test_it_refuses_a_grade_without_a_band(client, world):
    _assert_refused(client, world, "Pick a band before saving.", score=9, feedback="x", version=0)


def test_it_refuses_a_band_of_another_question(client, world):
    other = make_question(world.module, 2)
    _assert_refused(client, world, "not one of this question&#x27;s bands", band=band(other, "EXCELLENT").pk,
                    score=9, version=0)


def test_it_refuses_a_score_outside_the_chosen_band(client, world):
    _assert_refused(client, world, "4 is outside GOOD, which allows 7–8.", band=band(world.question, "GOOD").pk,
                    score=4, version=0)


def test_it_refuses_a_band_without_a_score(client, world):
    _assert_refused(client, world, "Pick a score in GOOD (7–8).", band=band(world.question, "GOOD").pk, version=0)


def test_it_refuses_a_score_that_is_not_a_number(client, world):
    _assert_refused(client, world, "The score must be a whole number.", band=band(world.question, "GOOD").pk,
                    score="eight", version=0)


def test_it_refuses_a_post_without_the_version(client, world):
    _assert_refused(client, world, "lost its grade version", band=band(world.question, "GOOD").pk, score=8)


def test_a_refused_save_keeps_what_the_grader_typed(client, world):
    client.force_login(world.ta)
    reply = _post(client, world.response, score=9, feedback="My careful feedback", version=0)
    assert "My careful feedback" in reply.content.decode()


def test_a_stale_version_is_not_applied_and_shows_both_grades(client, world):
    grade(world.response, world.instructor, score=9, feedback="Instructor's view.")
    client.force_login(world.ta)
    reply = _post(client, world.response, band=band(world.question, "GOOD").pk, score=7, feedback="TA's view.",
                  version=0)
    assert reply.status_code == 409
    page = html.unescape(reply.content.decode())
    assert "TA's view." in page and "Instructor's view." in page
    assert "by instructor" in page and "Apply mine instead" in page and "Keep theirs" in page
    saved = Grade.objects.get(response=world.response)
    assert (saved.score, saved.version, saved.feedback) == (9, 1, "Instructor's view.")
    refused = GradeEvent.objects.filter(response=world.response).last()
    assert refused.kind == GradeEventKind.CONFLICT_REFUSED and refused.actor == world.ta
    assert (refused.old_score, refused.new_score, refused.version) == (9, 7, 1)


def test_apply_mine_on_the_conflict_page_saves_over_the_current_version(client, world):
    grade(world.response, world.instructor, score=9)
    client.force_login(world.ta)
    reply = _post(client, world.response, band=band(world.question, "GOOD").pk, score=7, feedback="TA's view.",
                  version=1, resolve="1", then="stay")
    assert reply.status_code == 302
    saved = Grade.objects.get(response=world.response)
    assert (saved.score, saved.version, saved.graded_by) == (7, 2, world.ta)
    assert GradeEvent.objects.filter(response=world.response).last().kind == GradeEventKind.CONFLICT_RESOLVED


def test_an_unknown_response_is_a_404(client, world):
    client.force_login(world.ta)
    reply = client.post("/grading/responses/999999/save/", {"band": 1, "score": 9, "version": 0})
    assert reply.status_code == 404


def test_a_response_of_another_course_is_a_404(client, world):
    elsewhere = make_question(make_module(make_course("elsewhere"), 1), 1)
    stranger_response = make_response(make_user("stranger"), elsewhere)
    client.force_login(world.ta)
    reply = _post(client, stranger_response, band=band(elsewhere, "GOOD").pk, score=8, version=0)
    assert reply.status_code == 404
    assert not Grade.objects.exists()


def test_a_draft_is_never_gradable(client, world):
    draft = make_response(make_user("drafter"), world.question, submitted=False)
    client.force_login(world.ta)
    assert client.get(f"/grading/responses/{draft.pk}/").status_code == 404
    assert _post(client, draft, band=band(world.question, "GOOD").pk, score=8, version=0).status_code == 404
    with pytest.raises(GradingError, match="not been submitted"):
        grade_save(response_id=draft.pk, actor=world.ta, band_id=band(world.question, "GOOD").pk, score=8,
                   feedback="", base_version=0)


def test_the_service_raises_a_conflict_carrying_the_current_grade(world):
    first = grade(world.response, world.ta, score=9)
    with pytest.raises(GradeConflict) as caught:
        grade_save(response_id=world.response.pk, actor=world.instructor, band_id=band(world.question, "GOOD").pk,
                   score=8, feedback="", base_version=0)
    assert caught.value.current.pk == first.pk and caught.value.posted.score == 8


def test_saving_clears_the_resubmission_flag(world):
    grade(world.response, world.ta, score=9)
    Response.objects.filter(pk=world.response.pk).update(submission_count=2)
    regraded = grade(world.response, world.ta, score=8, label="GOOD")
    assert regraded.submission_number == 2 and not regraded.needs_review


def test_the_database_forbids_a_score_above_the_points(world):
    saved = grade(world.response, world.ta, score=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        Grade.objects.filter(pk=saved.pk).update(score=11)


def test_feedback_is_sanitised_when_shown(client, world):
    grade(world.response, world.ta, feedback="<script>alert(1)</script> **bold**")
    client.force_login(world.ta)
    page = client.get(f"/grading/responses/{world.response.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page.split("<textarea")[0]
    assert "alert(1)" in page  # still in the textarea, escaped, for editing


def test_save_and_next_wraps_round_to_the_start_of_the_queue(client, world):
    third = make_response(make_user("third"), world.question)
    first, _middle, last = sorted([world.response, world.other_response, third], key=lambda r: r.pseudonym)
    client.force_login(world.ta)
    reply = _post(client, last, band=band(world.question, "GOOD").pk, score=8, version=0, then="next")
    assert reply["Location"] == f"/grading/responses/{first.pk}/"
