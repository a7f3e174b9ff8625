"""The grading page's server side: progress and previous/next, the comment bank without losing the typed
grade, feedback in a regrade reply, and the lease status the page polls."""

from django.template.loader import render_to_string
from django.utils import timezone

from courses.models import Enrollment, EnrollmentStatus
from courses.tests.factories import enroll, make_response, make_user
from grading.models import Comment, Grade, GradeEvent, GradeEventKind, GradingAssignment, GradingLease, RegradeRequest
from grading.selectors import student_grade_context
from grading.tests.helpers import band, grade, graded_and_released


def _page(client, response) -> str:
    return client.get(f"/grading/responses/{response.pk}/").content.decode()


def _more_answers(world, count: int) -> list:
    """`count` more submitted answers to the world's question, each by a new student."""
    answers = []
    for i in range(count):
        student = make_user(f"s{i}")
        enroll(student, world.course)
        answers.append(make_response(student, world.question))
    return answers


def test_the_page_says_how_many_are_graded_and_how_many_are_left_for_everyone_unassigned(client, world):
    extra = _more_answers(world, 4)
    grade(extra[0], world.instructor)
    client.force_login(world.ta)
    assert "1 of 6 graded · 5 left for you" in _page(client, world.response)


def test_a_dropped_students_answer_leaves_the_progress_and_the_previous_next_links(client, world):
    Enrollment.objects.filter(user=world.other_student).update(
        status=EnrollmentStatus.DROPPED, dropped_at=timezone.now()
    )
    client.force_login(world.ta)
    page = _page(client, world.response)
    assert "0 of 1 graded · 1 left for you" in page
    assert 'rel="prev"' not in page and 'rel="next"' not in page


def test_left_for_you_counts_only_your_assigned_answers_when_you_have_some(client, world):
    extra = _more_answers(world, 4)
    for answer in extra[:3]:
        GradingAssignment.objects.create(response=answer, grader=world.ta, assigned_by=world.instructor)
    GradingAssignment.objects.create(response=extra[3], grader=world.instructor, assigned_by=world.instructor)
    grade(extra[0], world.ta)
    client.force_login(world.ta)
    assert "1 of 6 graded · 2 left for you" in _page(client, world.response)
    # The instructor has one assigned, still ungraded.
    client.force_login(world.instructor)
    assert "1 of 6 graded · 1 left for you" in _page(client, world.response)


def test_previous_and_next_follow_the_queues_pseudonym_order(client, world):
    answers = sorted([world.response, world.other_response, *_more_answers(world, 3)], key=lambda r: r.pseudonym)
    client.force_login(world.ta)
    middle = _page(client, answers[2])
    assert f'href="/grading/responses/{answers[1].pk}/" rel="prev"' in middle
    assert f'href="/grading/responses/{answers[3].pk}/" rel="next"' in middle
    first, last = _page(client, answers[0]), _page(client, answers[-1])
    assert 'rel="prev"' not in first and f'href="/grading/responses/{answers[1].pk}/" rel="next"' in first
    assert 'rel="next"' not in last and f'href="/grading/responses/{answers[-2].pk}/" rel="prev"' in last


def test_the_bands_are_a_fieldset_and_the_mark_scheme_shows_once(client, world):
    client.force_login(world.ta)
    page = _page(client, world.response)
    assert "<legend>Band" in page
    assert '<legend class="visually-hidden">Score in EXCELLENT</legend>' in page
    assert page.count("SECRET-MARK-SCHEME") == 1
    assert page.count("Deep, specific, technically accurate.") == 1


def test_comment_bank_buttons_say_what_they_insert(client, world):
    Comment.objects.create(question=world.question, text="Quantify the exp() cost.", created_by=world.ta)
    client.force_login(world.ta)
    assert 'aria-label="Insert comment: Quantify the exp() cost."' in _page(client, world.response)


def _typed(world, **extra) -> dict:
    """The grade form as the grading page posts it to the comment bank without JavaScript."""
    return {
        "band": band(world.question, "GOOD").pk, "score": 7, "feedback": "Half-written feedback.", "version": 0,
        "response": world.response.pk, **extra,
    }


def test_adding_a_comment_without_javascript_shows_the_typed_grade_again(client, world):
    client.force_login(world.ta)
    reply = client.post(f"/grading/questions/{world.question.pk}/comments/", _typed(world, text="Cite a number."))
    page = reply.content.decode()
    assert reply.status_code == 200
    assert Comment.objects.get().text == "Cite a number."
    good = band(world.question, "GOOD").pk
    assert f'value="{good}" data-key="2" data-top="8" checked' in page
    assert f'name="score" value="7" data-band="{good}" checked' in page
    assert "Half-written feedback.</textarea>" in page
    assert 'data-comment="Cite a number."' in page
    assert not Grade.objects.exists()


def test_a_refused_comment_without_javascript_keeps_the_typed_grade_too(client, world):
    client.force_login(world.ta)
    reply = client.post(f"/grading/questions/{world.question.pk}/comments/", _typed(world, text="   "))
    assert reply.status_code == 400
    page = reply.content.decode()
    assert "A comment needs some text." in page and "Half-written feedback.</textarea>" in page
    assert not Comment.objects.exists()


def test_the_typed_grade_keeps_the_version_it_was_based_on(client, world):
    """Someone saves while the comment is added: the page must still post the old version, so the grader's
    save becomes a conflict instead of silently replacing the other grade."""
    grade(world.response, world.instructor)
    client.force_login(world.ta)
    page = client.post(f"/grading/questions/{world.question.pk}/comments/", _typed(world, text="Hi")).content.decode()
    assert '<input type="hidden" name="version" value="0">' in page


def test_the_comment_bank_answers_fetch_with_json(client, world):
    client.force_login(world.ta)
    url = f"/grading/questions/{world.question.pk}/comments/"
    added = client.post(url, {"text": " Cite a number. ", "response": world.response.pk},
                        headers={"accept": "application/json"})
    assert added.status_code == 201 and added.json()["text"] == "Cite a number."
    again = client.post(url, {"text": "Cite a number."}, headers={"accept": "application/json"})
    assert again.status_code == 400 and "already in the bank" in again.json()["error"]
    assert Comment.objects.count() == 1


def test_a_regrade_reply_can_rewrite_the_feedback_the_student_sees(client, world):
    graded_and_released(world)
    regrade = RegradeRequest.objects.create(response=world.response, reason="I covered cost.", score_before=7)
    client.force_login(world.ta)
    page = _page(client, world.response)
    assert 'name="feedback" id="id_regrade_feedback"' in page and "Explain the **exponentials**.</textarea>" in page
    client.post(f"/grading/regrades/{regrade.pk}/answer/", {
        "reply": "You did; raised to 9.", "band": band(world.question, "EXCELLENT").pk, "score": 9, "version": 1,
        "feedback": "Clear cost model of the **exponentials**.",
    })
    saved = Grade.objects.get(response=world.response)
    assert (saved.score, saved.feedback) == (9, "Clear cost model of the **exponentials**.")
    event = GradeEvent.objects.filter(response=world.response).last()
    assert (event.kind, event.old_feedback, event.new_feedback) == (
        GradeEventKind.REGRADE, "Explain the **exponentials**.", "Clear cost model of the **exponentials**."
    )
    shown = render_to_string("grading/_student_grade.html", student_grade_context(response=world.response))
    assert "Clear cost model" in shown and "Explain the" not in shown


def test_a_regrade_reply_that_changes_only_the_feedback_is_audited(client, world):
    graded_and_released(world)
    regrade = RegradeRequest.objects.create(response=world.response, reason="Unclear feedback.", score_before=7)
    client.force_login(world.ta)
    client.post(f"/grading/regrades/{regrade.pk}/answer/", {
        "reply": "Reworded.", "version": 1, "feedback": "Say what the exponentials cost.",
    })
    saved = Grade.objects.get(response=world.response)
    assert (saved.score, saved.feedback, saved.version) == (7, "Say what the exponentials cost.", 2)
    assert GradeEvent.objects.filter(kind=GradeEventKind.REGRADE).count() == 1


def test_the_lease_status_says_who_holds_it_and_the_grade_version(client, world):
    client.force_login(world.ta)
    _page(client, world.response)
    status = client.get(f"/grading/responses/{world.response.pk}/lease/status/").json()
    assert (status["holder"], status["holder_is_you"], status["version"]) == ("ta", True, 0)
    grade(world.response, world.instructor)
    client.force_login(world.instructor)
    status = client.get(f"/grading/responses/{world.response.pk}/lease/status/").json()
    # Saving ended nobody's lease but the instructor's own, so the TA still holds it.
    assert (status["holder"], status["holder_is_you"], status["version"], status["graded_by"]) == (
        "ta", False, 1, "instructor"
    )
    assert GradingLease.objects.get().holder == world.ta  # asking changes nothing


def test_taking_over_moves_the_lease_to_the_new_grader(client, world):
    client.force_login(world.ta)
    _page(client, world.response)
    client.force_login(world.instructor)
    takeover = f"/grading/responses/{world.response.pk}/lease/takeover/"
    reply = client.post(takeover, headers={"accept": "application/json"})
    assert reply.json()["holder"] == "instructor"
    assert GradingLease.objects.get().holder == world.instructor
    client.force_login(world.ta)
    status = client.get(f"/grading/responses/{world.response.pk}/lease/status/").json()
    assert (status["holder"], status["holder_is_you"]) == ("instructor", False)
    # Without JavaScript the form posts and comes back to the page.
    reply = client.post(takeover)
    assert reply["Location"] == f"/grading/responses/{world.response.pk}/"
    assert GradingLease.objects.get().holder == world.ta


def test_a_hostile_version_posted_with_a_comment_falls_back_to_the_current_one(client, world):
    grade(world.response, world.instructor)
    client.force_login(world.ta)
    for version in ("²", "9" * 40, "-1", ""):
        page = client.post(f"/grading/questions/{world.question.pk}/comments/", _typed(world, text=f"C{version}",
                                                                                         version=version))
        assert page.status_code == 200
        assert '<input type="hidden" name="version" value="1">' in page.content.decode()
