"""Releasing grades per module and per question, withdrawing them, and what the student sees."""

from django.template.loader import render_to_string

from courses.tests.factories import make_question, make_response
from grading.models import GradeRelease, ReleaseEvent
from grading.selectors import released_grades_for_student, student_grade_context
from grading.tests.helpers import grade, release


def _student_view(world) -> str:
    return render_to_string("grading/_student_grade.html", student_grade_context(response=world.response))


def test_before_release_the_student_sees_awaiting_grading(world):
    grade(world.response, world.ta, score=7, label="GOOD", feedback="Hidden until release.")
    shown = _student_view(world)
    assert "Submitted, awaiting grading." in shown
    assert "Hidden until release." not in shown and "GOOD" not in shown


def test_an_instructor_releases_a_module_and_the_student_sees_score_band_and_feedback(client, world):
    grade(world.response, world.ta, score=7, label="GOOD", feedback="Explain the **exponentials**.")
    second = make_question(world.module, 2)
    client.force_login(world.instructor)
    reply = client.post(f"/grading/{world.course.slug}/modules/{world.module.slug}/release/confirm/",
                        {"action": "release", "confirm": "1"})
    assert reply.status_code == 302
    assert set(GradeRelease.objects.filter(released=True).values_list("question", flat=True)) == {
        world.question.pk, second.pk
    }
    assert ReleaseEvent.objects.filter(released=True, actor=world.instructor).count() == 2
    shown = _student_view(world)
    assert "7 / 10" in shown and "GOOD" in shown and "Accurate with some depth." in shown
    assert "<strong>exponentials</strong>" in shown


def test_the_students_response_page_shows_the_released_grade(client, world):
    grade(world.response, world.ta, score=7, label="GOOD", feedback="Explain the exponentials.")
    client.force_login(world.student)
    page = client.get(f"/responses/{world.response.pk}/").content.decode()
    assert "awaiting grading" in page and "Explain the exponentials." not in page
    release(world.question, world.instructor)
    page = client.get(f"/responses/{world.response.pk}/").content.decode()
    assert "7 / 10" in page and "Explain the exponentials." in page


def test_withdrawing_hides_the_grade_again_and_is_recorded(client, world):
    grade(world.response, world.ta, score=7, label="GOOD", feedback="Seen then hidden.")
    release(world.question, world.instructor)
    client.force_login(world.instructor)
    client.post(f"/grading/questions/{world.question.pk}/release/confirm/", {"action": "withdraw", "confirm": "1"})
    assert not GradeRelease.objects.get(question=world.question).released
    assert list(ReleaseEvent.objects.values_list("released", flat=True)) == [True, False]
    assert "Seen then hidden." not in _student_view(world)
    assert "awaiting grading" in _student_view(world)


def test_releasing_twice_changes_nothing_the_second_time(client, world):
    client.force_login(world.instructor)
    client.post(f"/grading/questions/{world.question.pk}/release/confirm/", {"action": "release", "confirm": "1"})
    client.post(f"/grading/questions/{world.question.pk}/release/confirm/", {"action": "release", "confirm": "1"})
    assert ReleaseEvent.objects.count() == 1


def test_a_ta_may_not_release(client, world):
    client.force_login(world.ta)
    assert client.post(f"/grading/questions/{world.question.pk}/release/", {"released": "1"}).status_code == 403
    reply = client.post(f"/grading/{world.course.slug}/modules/{world.module.slug}/release/", {"released": "1"})
    assert reply.status_code == 403
    assert not GradeRelease.objects.exists()
    assert "Release module" not in client.get(f"/grading/{world.course.slug}/").content.decode()


def test_a_release_without_a_choice_changes_nothing(client, world):
    client.force_login(world.instructor)
    reply = client.post(f"/grading/questions/{world.question.pk}/release/confirm/",
                        {"action": "maybe", "confirm": "1"})
    assert reply.status_code == 400 and "Choose release, withdraw or schedule." in reply.content.decode()
    assert not GradeRelease.objects.exists()


def test_released_grades_for_student_returns_only_released_ones_in_one_query(world, django_assert_num_queries):
    second = make_question(world.module, 2)
    grade(world.response, world.ta, score=7, label="GOOD")
    grade(make_response(world.student, second), world.ta, score=9)
    grade(world.other_response, world.ta, score=3, label="NEEDS IMPROVEMENT")
    release(world.question, world.instructor)
    with django_assert_num_queries(1):  # grades joined to their response, question release and band
        grades = released_grades_for_student(world.student, [world.question, second])
    assert list(grades) == [world.question.pk]
    assert grades[world.question.pk].score == 7 and grades[world.question.pk].band.label == "GOOD"


def test_the_student_context_takes_three_queries(world, django_assert_num_queries):
    grade(world.response, world.ta)
    release(world.question, world.instructor)
    response = type(world.response).objects.select_related("question__module__course").get(pk=world.response.pk)
    with django_assert_num_queries(3):  # release, grade with band, regrade request
        context = student_grade_context(response=response)
    assert set(context) == {
        "grading_response", "grading_status", "grading_grade", "grading_regrade", "grading_regrade_reply_held",
        "grading_can_request_regrade", "grading_regrade_deadline",
    }
