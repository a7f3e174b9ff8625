"""Double marking: a stable sample, a blind second mark, audited moderation, final grades only for students."""

import pytest

from courses.models import Role
from courses.tests.factories import enroll, make_response, make_user
from grading.double_marking import in_sample, moderation_items, sample_responses
from grading.models import DoubleMarkingPolicy, Grade, GradeEvent, GradeEventKind, SecondMark
from grading.tests.helpers import band, grade, release

pytestmark = pytest.mark.django_db

FIRST_FEEDBACK = "Zanzibar: the first grader's own words about exponentials."


@pytest.fixture
def ta2(world):
    user = make_user("ta2")
    enroll(user, world.course, Role.TA)
    return user


@pytest.fixture
def sampled(world, ta2):
    """Every answer of the world's question is double-marked; the student's answer graded 3 by the TA."""
    DoubleMarkingPolicy.objects.create(question=world.question, share=100, changed_by=world.instructor)
    grade(world.response, world.ta, score=3, label="NEEDS IMPROVEMENT", feedback=FIRST_FEEDBACK)
    return world


def _second_mark(client, world, user, label="EXCELLENT", score=9, feedback="Strong on cost."):
    client.force_login(user)
    return client.post(f"/grading/responses/{world.response.pk}/second-mark/",
                       {"band": band(world.question, label).pk, "score": score, "feedback": feedback})


# The sample ------------------------------------------------------------------------------------------------------


def test_the_sample_is_stable_close_to_the_share_and_grows_with_it():
    pseudonyms = [f"P{i:05d}" for i in range(2000)]
    ten = {p for p in pseudonyms if in_sample(question_id=7, pseudonym=p, share=10)}
    assert ten == {p for p in pseudonyms if in_sample(question_id=7, pseudonym=p, share=10)}
    assert 140 <= len(ten) <= 260  # 10% of 2,000 is 200; a binomial's sd is about 13
    twenty = {p for p in pseudonyms if in_sample(question_id=7, pseudonym=p, share=20)}
    assert ten < twenty  # raising the share only adds answers
    assert not any(in_sample(question_id=7, pseudonym=p, share=0) for p in pseudonyms)
    assert all(in_sample(question_id=7, pseudonym=p, share=100) for p in pseudonyms)
    # Another question draws another sample from the same pseudonyms.
    assert ten != {p for p in pseudonyms if in_sample(question_id=8, pseudonym=p, share=10)}


def test_the_instructor_sets_the_share_and_sees_which_answers_are_in_the_sample(client, world):
    client.force_login(world.instructor)
    reply = client.post(f"/grading/questions/{world.question.pk}/double-marking/policy/", {"share": 100},
                        follow=True)
    assert DoubleMarkingPolicy.objects.get(question=world.question).share == 100
    page = reply.content.decode()
    assert world.response.display_pseudonym in page and world.other_response.display_pseudonym in page
    assert sample_responses(world.question, 100) == sorted([world.response, world.other_response],
                                                          key=lambda r: r.pseudonym)


@pytest.mark.parametrize("share", ["101", "-1", "ten", ""])
def test_a_bad_share_is_refused_and_changes_nothing(client, world, share):
    DoubleMarkingPolicy.objects.create(question=world.question, share=10, changed_by=world.instructor)
    client.force_login(world.instructor)
    reply = client.post(f"/grading/questions/{world.question.pk}/double-marking/policy/", {"share": share},
                        follow=True)
    assert DoubleMarkingPolicy.objects.get(question=world.question).share == 10
    assert "share" in reply.content.decode().lower()


# Blindness -------------------------------------------------------------------------------------------------------


def test_the_second_markers_page_never_shows_the_first_grade_its_feedback_or_history(client, sampled, ta2):
    client.force_login(ta2)
    page = client.get(f"/grading/responses/{sampled.response.pk}/second-mark/").content.decode()
    assert sampled.response.submitted_text[:40] in page
    assert "Zanzibar" not in page and "3/10" not in page and "History" not in page
    assert 'value="3" checked' not in page


def test_the_normal_grading_page_sends_another_ta_to_the_blind_page(client, sampled, ta2):
    client.force_login(ta2)
    reply = client.get(f"/grading/responses/{sampled.response.pk}/")
    assert reply.status_code == 302 and reply["Location"].endswith(f"/responses/{sampled.response.pk}/second-mark/")
    # Saving over it from an old form is refused the same way; the first grade stands.
    data = {"band": band(sampled.question, "GOOD").pk, "score": 7, "version": 1}
    assert client.post(f"/grading/responses/{sampled.response.pk}/save/", data).status_code == 302
    assert Grade.objects.get(response=sampled.response).score == 3


def test_the_queue_hides_the_first_grade_from_other_tas_until_the_second_mark(client, sampled, ta2):
    client.force_login(ta2)
    assert "3/10" not in client.get(f"/grading/questions/{sampled.question.pk}/").content.decode()
    _second_mark(client, sampled, ta2)
    assert "3/10" in client.get(f"/grading/questions/{sampled.question.pk}/").content.decode()


def test_the_gradebook_and_its_export_stay_closed_to_tas_until_the_second_marks_are_in(client, sampled, ta2):
    gradebook = f"/grading/{sampled.course.slug}/gradebook/"
    export = f"{gradebook}export/"
    for user in (sampled.ta, ta2):  # the first grader too: either TA may second-mark another answer
        client.force_login(user)
        for url in (gradebook, export):
            page = client.get(url)
            assert page.status_code == 403
            assert "1 answer still waits for a blind second mark" in page.content.decode()
    client.force_login(sampled.instructor)
    assert client.get(gradebook).status_code == 200
    _second_mark(client, sampled, ta2)
    client.force_login(ta2)
    assert client.get(gradebook).status_code == 200
    assert "3" in client.get(export).getvalue().decode()


def test_the_first_grader_and_the_instructor_still_see_the_grade(client, sampled):
    for user in (sampled.ta, sampled.instructor):
        client.force_login(user)
        assert "Zanzibar" in client.get(f"/grading/responses/{sampled.response.pk}/").content.decode()


def test_the_second_markers_queue_lists_only_answers_someone_else_graded(client, sampled, ta2):
    client.force_login(ta2)
    page = client.get(f"/grading/questions/{sampled.question.pk}/second-marking/").content.decode()
    assert sampled.response.display_pseudonym in page
    assert sampled.other_response.display_pseudonym not in page  # not graded yet
    client.force_login(sampled.ta)
    page = client.get(f"/grading/questions/{sampled.question.pk}/second-marking/").content.decode()
    assert sampled.response.display_pseudonym not in page  # their own grade


# Saving a second mark --------------------------------------------------------------------------------------------


def test_a_second_mark_is_saved_beside_the_grade_without_touching_it(client, sampled, ta2):
    reply = _second_mark(client, sampled, ta2)
    assert reply.status_code == 302
    mark = SecondMark.objects.get(response=sampled.response)
    assert (mark.grader, mark.score, mark.band.label) == (ta2, 9, "EXCELLENT")
    current = Grade.objects.get(response=sampled.response)
    assert (current.score, current.version, current.feedback) == (3, 1, FIRST_FEEDBACK)


def test_the_first_grader_may_not_second_mark(client, sampled):
    reply = _second_mark(client, sampled, sampled.ta)
    assert reply.status_code == 400
    assert "different grader" in reply.content.decode()
    assert not SecondMark.objects.exists()


def test_an_answer_is_second_marked_once(client, sampled, ta2):
    _second_mark(client, sampled, ta2)
    reply = _second_mark(client, sampled, sampled.instructor, label="GOOD", score=7)
    assert reply.status_code == 400 and SecondMark.objects.get().grader == ta2


def test_an_ungraded_answer_waits_for_its_first_grade(client, sampled, ta2):
    client.force_login(ta2)
    reply = client.post(f"/grading/responses/{sampled.other_response.pk}/second-mark/",
                        {"band": band(sampled.question, "GOOD").pk, "score": 7})
    assert reply.status_code == 400 and "no first grade" in reply.content.decode()
    assert not SecondMark.objects.exists()


def test_a_score_outside_the_band_is_refused(client, sampled, ta2):
    reply = _second_mark(client, sampled, ta2, label="GOOD", score=10)
    assert reply.status_code == 400 and "outside GOOD" in reply.content.decode()
    assert not SecondMark.objects.exists()


def test_answers_outside_the_sample_are_not_found(client, world, ta2):
    grade(world.response, world.ta)
    client.force_login(ta2)
    assert client.get(f"/grading/responses/{world.response.pk}/second-mark/").status_code == 404


# Moderation ------------------------------------------------------------------------------------------------------


def test_grades_one_band_apart_need_no_moderation(client, sampled, ta2):
    _second_mark(client, sampled, ta2, label="SATISFACTORY", score=5)  # NEEDS IMPROVEMENT vs SATISFACTORY
    assert moderation_items([sampled.question]) == []


def test_grades_more_than_one_band_apart_wait_for_an_instructor(client, sampled, ta2):
    _second_mark(client, sampled, ta2)  # NEEDS IMPROVEMENT (index 3) vs EXCELLENT (0)
    [item] = moderation_items([sampled.question])
    assert item.response == sampled.response and item.gap == 3
    client.force_login(sampled.instructor)
    page = client.get(f"/grading/{sampled.course.slug}/moderation/").content.decode()
    assert sampled.response.display_pseudonym in page


def test_the_instructor_sets_the_final_grade_and_it_is_audited(client, sampled, ta2):
    _second_mark(client, sampled, ta2)
    client.force_login(sampled.instructor)
    page = client.get(f"/grading/responses/{sampled.response.pk}/moderate/").content.decode()
    assert "Zanzibar" in page and "Strong on cost." in page  # both grades side by side
    reply = client.post(f"/grading/responses/{sampled.response.pk}/moderate/", {
        "band": band(sampled.question, "GOOD").pk, "score": 7, "feedback": "Settled after double marking.",
        "version": 1,
    })
    assert reply.status_code == 302
    final = Grade.objects.get(response=sampled.response)
    assert (final.score, final.graded_by, final.version) == (7, sampled.instructor, 2)
    event = GradeEvent.objects.filter(response=sampled.response).latest("id")
    assert event.kind == GradeEventKind.MODERATED and event.old_score == 3 and event.new_score == 7
    assert "second 9 EXCELLENT by ta2" in event.note
    mark = SecondMark.objects.get(response=sampled.response)
    assert mark.moderated_by == sampled.instructor and mark.moderated_at == final.graded_at
    assert moderation_items([sampled.question]) == []
    # A second moderation of the same answer is refused; nothing changes.
    again = client.post(f"/grading/responses/{sampled.response.pk}/moderate/", {
        "band": band(sampled.question, "EXCELLENT").pk, "score": 10, "feedback": "", "version": 2,
    })
    assert again.status_code == 400 and Grade.objects.get(response=sampled.response).score == 7


def test_a_moderation_from_a_stale_page_is_a_conflict(client, sampled, ta2):
    _second_mark(client, sampled, ta2)
    grade(sampled.response, sampled.ta, score=2, label="NEEDS IMPROVEMENT", feedback="Changed meanwhile.")
    client.force_login(sampled.instructor)
    reply = client.post(f"/grading/responses/{sampled.response.pk}/moderate/", {
        "band": band(sampled.question, "GOOD").pk, "score": 7, "feedback": "", "version": 1,
    })
    assert reply.status_code == 409
    assert Grade.objects.get(response=sampled.response).score == 2
    assert not SecondMark.objects.get().moderated_at
    assert GradeEvent.objects.filter(kind=GradeEventKind.CONFLICT_REFUSED).count() == 1


def test_students_only_ever_see_the_final_grade(client, sampled, ta2):
    _second_mark(client, sampled, ta2, feedback="Second marker's private note.")
    client.force_login(sampled.instructor)
    client.post(f"/grading/responses/{sampled.response.pk}/moderate/", {
        "band": band(sampled.question, "GOOD").pk, "score": 8, "feedback": "Final feedback.", "version": 1,
    })
    release(sampled.question, sampled.instructor)
    client.force_login(sampled.student)
    page = client.get(sampled.response.get_absolute_url()).content.decode()
    assert "Final feedback." in page and "8" in page
    assert "private note" not in page and "Zanzibar" not in page and "EXCELLENT" not in page.split("rubric")[0]


def test_the_release_confirmation_lists_answers_waiting_for_moderation(client, sampled, ta2):
    _second_mark(client, sampled, ta2)
    client.force_login(sampled.instructor)
    page = client.get(f"/grading/questions/{sampled.question.pk}/release/confirm/?action=release").content.decode()
    assert 'id="unmoderated"' in page and sampled.response.display_pseudonym in page


# Agreement -------------------------------------------------------------------------------------------------------


def test_the_agreement_page_shows_each_question_and_pair_with_the_methods(client, sampled, ta2):
    other = make_response(make_user("third"), sampled.question)
    enroll(other.student, sampled.course)
    grade(sampled.other_response, sampled.ta, score=7, label="GOOD")
    grade(other, ta2, score=5, label="SATISFACTORY")
    _second_mark(client, sampled, ta2)  # 3 vs 9
    client.force_login(ta2)
    client.post(f"/grading/responses/{sampled.other_response.pk}/second-mark/",
                {"band": band(sampled.question, "GOOD").pk, "score": 8})
    client.force_login(sampled.ta)
    client.post(f"/grading/responses/{other.pk}/second-mark/",
                {"band": band(sampled.question, "SATISFACTORY").pk, "score": 5})
    client.force_login(sampled.instructor)
    reply = client.get(f"/grading/{sampled.course.slug}/agreement/")
    report = reply.context["report"]
    assert [line.result.n for line in report.questions] == [3]
    assert [line.label for line in report.pairs] == ["ta & ta2"]
    assert report.overall.result.exact.value == pytest.approx(2 / 3)
    assert report.overall.result.mad.value == pytest.approx((6 + 1 + 0) / 3)
    page = reply.content.decode()
    assert "Wilson score interval" in page and "Fleiss, Cohen and Everitt" in page and "t interval" in page
