"""Dropping a student: never deleted, out of the pages, queue, overview and gradebook; restoring brings it back."""

from __future__ import annotations

import html
import re

import pytest

from courses.models import Enrollment, EnrollmentStatus, Response
from grading.export import export_lines
from grading.selectors import course_overview, next_ungraded, queue_responses

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _drop(client, world, user=None):
    user = user or world.student
    enrollment = Enrollment.objects.get(user=user, course=world.course)
    client.force_login(world.instructor)
    return enrollment, client.post(f"/manage/{world.course.slug}/people/{enrollment.pk}/drop", follow=True)


def test_dropping_marks_the_enrollment_and_keeps_the_work(client, world):
    enrollment, response = _drop(client, world)
    assert "Dropped student. Their work is kept" in _text(response)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.DROPPED and enrollment.dropped_at is not None
    assert Response.objects.filter(pk=world.response.pk).exists()


def test_a_dropped_student_loses_access_to_the_course(client, world):
    _drop(client, world)
    client.force_login(world.student)
    assert client.get(f"/courses/{world.course.slug}/").status_code == 404
    assert client.get(f"/courses/{world.course.slug}/{world.module.slug}/").status_code == 404
    assert client.get(f"/questions/{world.question.pk}/").status_code == 404
    assert client.get(f"/responses/{world.response.pk}/").status_code == 404
    assert world.course.title not in _text(client.get("/"))


def test_dropped_answers_leave_the_queue_and_the_overview_but_a_filter_shows_them(client, world):
    question = world.question
    question.module.course = world.course
    assert {r.pk for r in queue_responses(question, world.ta)} == {world.response.pk, world.other_response.pk}
    _drop(client, world)
    assert [r.pk for r in queue_responses(question, world.ta)] == [world.other_response.pk]
    assert [r.pk for r in queue_responses(question, world.ta, "ungraded")] == [world.other_response.pk]
    assert [r.pk for r in queue_responses(question, world.ta, "dropped")] == [world.response.pk]
    assert next_ungraded(question, world.ta).pk == world.other_response.pk
    modules, students = course_overview(world.course)
    assert students == 1 and modules[0].questions[0].submitted == 1


def test_dropped_students_leave_the_gradebook_and_its_export_until_shown(client, world):
    _drop(client, world)
    client.force_login(world.instructor)
    page = client.get(f"/grading/{world.course.slug}/gradebook/")
    assert page.status_code == 200
    assert page.context["count"] == 1
    dropped = client.get(f"/grading/{world.course.slug}/gradebook/?dropped=1")
    assert dropped.context["count"] == 1
    assert [row.student["username"] for row in dropped.context["rows"]] == ["student"]
    assert [row.student["username"] for row in page.context["rows"]] == ["other_student"]
    assert "show active students" in _text(dropped)
    text = "".join(export_lines(world.course))
    assert "other_student" in text and "\r\nstudent," not in text


def test_restoring_brings_everything_back(client, world):
    enrollment, _ = _drop(client, world)
    response = client.post(f"/manage/{world.course.slug}/people/{enrollment.pk}/restore", follow=True)
    assert "Restored student." in _text(response)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.dropped_at is None
    assert world.response.pk in {r.pk for r in queue_responses(world.question, world.ta)}
    client.force_login(world.student)
    assert client.get(f"/questions/{world.question.pk}/").status_code == 200


def test_the_people_page_lists_dropped_people_under_their_own_filter(client, world):
    _drop(client, world)
    active = _text(client.get(f"/manage/{world.course.slug}/people/"))
    dropped = _text(client.get(f"/manage/{world.course.slug}/people/?status=dropped"))
    assert "<td>student@example.edu</td>" not in active and "<td>other_student@example.edu</td>" in active
    assert "<td>student@example.edu</td>" in dropped and "Restore" in dropped
    assert re.search(r"Dropped</span> <span class=\"muted\">\d{4}-\d\d-\d\d \d\d:\d\d UTC</span>", dropped)


def test_dropping_twice_or_restoring_an_active_person_says_so(client, world):
    enrollment, _ = _drop(client, world)
    again = client.post(f"/manage/{world.course.slug}/people/{enrollment.pk}/drop", follow=True)
    assert "student is already dropped." in _text(again)
    other = Enrollment.objects.get(user=world.other_student, course=world.course)
    restore = client.post(f"/manage/{world.course.slug}/people/{other.pk}/restore", follow=True)
    assert "other_student is not dropped." in _text(restore)


def test_an_instructor_cant_drop_themselves_and_a_ta_cant_drop_anyone(client, world):
    mine = Enrollment.objects.get(user=world.instructor, course=world.course)
    client.force_login(world.instructor)
    response = client.post(f"/manage/{world.course.slug}/people/{mine.pk}/drop", follow=True)
    assert "You can't drop yourself from the course." in _text(response)
    client.force_login(world.ta)
    student = Enrollment.objects.get(user=world.student, course=world.course)
    assert client.post(f"/manage/{world.course.slug}/people/{student.pk}/drop").status_code == 403
    assert Enrollment.objects.active().filter(course=world.course).count() == 4


def test_an_enrollment_of_another_course_is_a_404(client, world):
    other = Enrollment.objects.get(user=world.other_ta)
    client.force_login(world.instructor)
    assert client.post(f"/manage/{world.course.slug}/people/{other.pk}/drop").status_code == 404
    assert Enrollment.objects.get(pk=other.pk).status == EnrollmentStatus.ACTIVE


def test_a_dropped_ta_loses_the_grading_pages_and_the_manage_area(client, world):
    ta = Enrollment.objects.get(user=world.ta, course=world.course)
    client.force_login(world.instructor)
    client.post(f"/manage/{world.course.slug}/people/{ta.pk}/drop")
    client.force_login(world.ta)
    assert client.get(f"/grading/{world.course.slug}/").status_code == 404
    assert client.get(f"/grading/questions/{world.question.pk}/").status_code == 404
    assert client.get(f"/manage/{world.course.slug}/people/").status_code == 404


def test_a_dropped_student_cant_ask_for_a_regrade(client, world):
    _drop(client, world)
    client.force_login(world.student)
    response = client.post(f"/grading/responses/{world.response.pk}/regrade/", {"reason": "Please look again."})
    assert response.status_code == 404
