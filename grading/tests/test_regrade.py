"""Regrade requests: once per question, after release, inside the course's window; staff reply and may change it."""

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from grading.models import Grade, GradeEvent, GradeEventKind, GradeRelease, RegradeRequest, RegradeStatus
from grading.selectors import student_grade_context
from grading.tests.helpers import band, grade, graded_and_released


def _ask(client, world, reason="I did discuss the exponentials."):
    client.force_login(world.student)
    return client.post(f"/grading/responses/{world.response.pk}/regrade/", {"reason": reason}, follow=True)


def test_a_student_asks_for_a_regrade_after_release(client, world):
    graded_and_released(world)
    page = _ask(client, world).content.decode()
    assert "Your regrade request was sent" in page
    regrade = RegradeRequest.objects.get(response=world.response)
    assert (regrade.reason, regrade.status, regrade.score_before) == (
        "I did discuss the exponentials.", RegradeStatus.OPEN, 7
    )


def test_a_student_can_ask_only_once_per_question(client, world):
    graded_and_released(world)
    _ask(client, world)
    page = _ask(client, world, "Again please.").content.decode()
    assert "already asked for a regrade" in page
    assert RegradeRequest.objects.count() == 1


def test_a_regrade_needs_a_reason(client, world):
    graded_and_released(world)
    assert "Say why you think the grade should change." in _ask(client, world, "   ").content.decode()
    assert not RegradeRequest.objects.exists()


def test_no_regrade_before_release(client, world):
    grade(world.response, world.ta)
    assert "once your grade has been released" in _ask(client, world).content.decode()
    assert not RegradeRequest.objects.exists()


def test_no_regrade_after_the_window_closes(client, world):
    graded_and_released(world)
    days = world.course.regrade_window_days
    GradeRelease.objects.update(released_at=timezone.now() - timedelta(days=days, minutes=1))
    assert "The regrade window closed" in _ask(client, world).content.decode()
    assert not RegradeRequest.objects.exists()
    shown = render_to_string("grading/_student_grade.html", student_grade_context(response=world.response))
    assert "Ask for a regrade" not in shown and "window closed" in shown


def test_the_window_is_set_per_course(client, world):
    graded_and_released(world)
    world.course.regrade_window_days = 30
    world.course.save()
    GradeRelease.objects.update(released_at=timezone.now() - timedelta(days=20))
    _ask(client, world)
    assert RegradeRequest.objects.exists()


def test_another_student_cannot_ask_about_someone_elses_response(client, world):
    graded_and_released(world)
    client.force_login(world.other_student)
    reply = client.post(f"/grading/responses/{world.response.pk}/regrade/", {"reason": "Me too."})
    assert reply.status_code == 404
    assert not RegradeRequest.objects.exists()


def test_staff_see_open_requests_in_the_queue_filter(client, world):
    graded_and_released(world)
    _ask(client, world)
    client.force_login(world.ta)
    page = client.get(f"/grading/questions/{world.question.pk}/?filter=regrade").content.decode()
    assert world.response.display_pseudonym in page and world.other_response.display_pseudonym not in page
    assert "regrade awaiting reply" in page
    assert "I did discuss the exponentials." in client.get(f"/grading/responses/{world.response.pk}/").content.decode()


def test_staff_reply_and_change_the_grade_audited_as_regrade(client, world):
    graded_and_released(world)
    _ask(client, world)
    regrade = RegradeRequest.objects.get()
    client.force_login(world.ta)
    client.post(f"/grading/regrades/{regrade.pk}/answer/", {
        "reply": "You did; raised to 9.", "band": band(world.question, "EXCELLENT").pk, "score": 9, "version": 1,
    })
    regrade.refresh_from_db()
    assert (regrade.status, regrade.reply, regrade.answered_by, regrade.score_after) == (
        RegradeStatus.ANSWERED, "You did; raised to 9.", world.ta, 9
    )
    assert Grade.objects.get(response=world.response).score == 9
    event = GradeEvent.objects.filter(response=world.response).last()
    assert (event.kind, event.old_score, event.new_score) == (GradeEventKind.REGRADE, 7, 9)
    shown = render_to_string("grading/_student_grade.html", student_grade_context(response=world.response))
    assert "You did; raised to 9." in shown and "changed from 7 to 9" in shown and "9 / 10" in shown


def test_staff_reply_without_a_change_keeps_the_grade(client, world):
    graded_and_released(world)
    _ask(client, world)
    regrade = RegradeRequest.objects.get()
    client.force_login(world.instructor)
    client.post(f"/grading/regrades/{regrade.pk}/answer/", {"reply": "It stands.", "version": 1})
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.ANSWERED and regrade.score_after == 7
    assert GradeEvent.objects.filter(kind=GradeEventKind.REGRADE).count() == 0
    shown = render_to_string("grading/_student_grade.html", student_grade_context(response=world.response))
    assert "It stands." in shown and "your score stays 7" in shown


def test_a_reply_must_have_text_and_is_given_once(client, world):
    graded_and_released(world)
    _ask(client, world)
    regrade = RegradeRequest.objects.get()
    client.force_login(world.ta)
    page = client.post(f"/grading/regrades/{regrade.pk}/answer/", {"reply": "", "version": 1}, follow=True)
    assert "Write a reply to the student." in page.content.decode()
    client.post(f"/grading/regrades/{regrade.pk}/answer/", {"reply": "First.", "version": 1})
    page = client.post(f"/grading/regrades/{regrade.pk}/answer/", {"reply": "Second.", "version": 1}, follow=True)
    assert "already been answered" in page.content.decode()
    regrade.refresh_from_db()
    assert regrade.reply == "First."


def test_a_regrade_score_outside_the_band_changes_nothing(client, world):
    graded_and_released(world)
    _ask(client, world)
    regrade = RegradeRequest.objects.get()
    client.force_login(world.ta)
    page = client.post(f"/grading/regrades/{regrade.pk}/answer/", {
        "reply": "Raised.", "band": band(world.question, "EXCELLENT").pk, "score": 3, "version": 1,
    }, follow=True)
    assert "3 is outside EXCELLENT" in page.content.decode()
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.OPEN and Grade.objects.get(response=world.response).score == 7


def test_a_regrade_answered_while_grades_are_withdrawn_shows_the_student_no_score(client, world):
    graded_and_released(world)
    _ask(client, world)
    regrade = RegradeRequest.objects.get()
    client.force_login(world.instructor)
    client.post(f"/grading/{world.course.slug}/modules/{world.module.slug}/release/confirm/",
                {"action": "withdraw", "confirm": "1"})
    assert not GradeRelease.objects.get(question=world.question).released
    client.post(f"/grading/regrades/{regrade.pk}/answer/", {
        "reply": "You did; raised to 9.", "band": band(world.question, "EXCELLENT").pk, "score": 9, "version": 1,
    })
    assert Grade.objects.get(response=world.response).score == 9

    client.force_login(world.student)
    page = client.get(f"/responses/{world.response.pk}/").content.decode()
    assert "show once grades are released again" in page
    for leaked in ("raised to 9", "changed from 7 to 9", "9 / 10", "7 / 10", "EXCELLENT"):
        assert leaked not in page
    module_page = client.get(f"/courses/{world.course.slug}/{world.module.slug}/").content.decode()
    assert "9 / 10" not in module_page

    client.force_login(world.instructor)
    client.post(f"/grading/{world.course.slug}/modules/{world.module.slug}/release/confirm/",
                {"action": "release", "confirm": "1"})
    client.force_login(world.student)
    page = client.get(f"/responses/{world.response.pk}/").content.decode()
    assert "raised to 9" in page and "changed from 7 to 9" in page and "9 / 10" in page
