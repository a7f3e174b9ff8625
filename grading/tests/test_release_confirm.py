"""Releasing goes through a confirmation page: what will be released, then an explicit confirm."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from courses.models import Enrollment, Extension, Notice, NoticeKind, Question, Response, Role
from courses.tests.factories import make_question, make_response, make_user
from grading.models import Grade, GradeRelease, ReleaseEvent
from grading.tasks import release_digests_deliver
from grading.tests.helpers import grade, release


def _question_url(world) -> str:
    return f"/grading/questions/{world.question.pk}/release/confirm/"


def _module_url(world) -> str:
    return f"/grading/{world.course.slug}/modules/{world.module.slug}/release/confirm/"


def _row(page: str, question: Question) -> str:
    row = page[page.index(f'id="preview-{question.pk}"'):]
    return row[: row.index("</tr>")]


def _cell(row: str, name: str) -> str:
    match = re.search(rf'<td class="[^"]*\b{name}\b[^"]*">(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def graded_class(world):
    """Four answers: two graded cleanly, one graded then flagged for review, one resubmitted since graded;
    plus one ungraded answer. The deadline has passed; one student has an extension still running."""
    now = timezone.now()
    Question.objects.filter(pk=world.question.pk).update(due_at=now - timedelta(days=1))
    extra = []
    for name in ("c", "d", "e"):
        user = make_user(name)
        Enrollment.objects.create(user=user, course=world.course, role=Role.STUDENT)
        extra.append(make_response(user, world.question))
    grade(world.response, world.ta)
    grade(world.other_response, world.ta)
    grade(extra[0], world.ta)
    Grade.objects.filter(response=extra[0]).update(needs_review=True)
    grade(extra[1], world.ta)
    Response.objects.filter(pk=extra[1].pk).update(submission_count=2)
    Extension.objects.create(course=world.course, question=world.question, student=extra[2].student,
                             due_at=now + timedelta(days=2), reason="Ill", granted_by=world.instructor)
    world.question.refresh_from_db()
    return world


def test_the_confirmation_page_counts_graded_ungraded_and_flagged_and_says_where_the_deadline_is(
    client, graded_class,
):
    world = graded_class
    later = make_question(world.module, 2, due_at=timezone.now() + timedelta(days=3))
    client.force_login(world.instructor)
    page = client.get(_module_url(world)).content.decode()
    row = _row(page, world.question)
    assert (_cell(row, "graded"), _cell(row, "ungraded"), _cell(row, "flagged")) == ("4", "1", "2")
    assert "Passed" in _cell(row, "deadline") and "1 extension still running" in _cell(row, "deadline")
    assert "Not passed yet" in _cell(_row(page, later), "deadline")
    assert "Some students still have time on an extension" in page
    assert world.course.time_zone in page


def test_a_taken_back_extension_no_longer_counts_as_running(client, graded_class):
    world = graded_class
    student = Response.objects.get(student__username="e").student
    Extension.objects.create(course=world.course, question=world.question, student=student, due_at=None,
                             reason="Back to the ordinary deadline", granted_by=world.instructor)
    client.force_login(world.instructor)
    row = _row(client.get(_question_url(world)).content.decode(), world.question)
    assert "extension" not in _cell(row, "deadline")


def test_a_get_or_an_unconfirmed_post_releases_nothing(client, graded_class):
    world = graded_class
    client.force_login(world.instructor)
    assert client.get(_question_url(world)).status_code == 200
    reply = client.post(_question_url(world), {"action": "release"})
    assert reply.status_code == 400
    assert "Nothing was changed: confirm on this page" in reply.content.decode()
    # The old buttons' endpoint only leads to the confirmation page.
    old = client.post(f"/grading/questions/{world.question.pk}/release/", {"released": "1"})
    assert old.status_code == 302 and old["Location"] == f"{_question_url(world)}?action=release"
    assert not GradeRelease.objects.exists() and not ReleaseEvent.objects.exists()


def test_confirming_releases_and_queues_one_digest_task_without_sending_in_the_request(
    client, graded_class, django_capture_on_commit_callbacks,
):
    world = graded_class
    client.force_login(world.instructor)
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(_question_url(world), {"action": "release", "confirm": "1"})
    assert reply.status_code == 302 and reply["Location"] == f"/grading/{world.course.slug}/"
    assert GradeRelease.objects.get(question=world.question).released
    event = ReleaseEvent.objects.get()
    assert not Notice.objects.exists()  # the request only queues
    task = DBTaskResult.objects.get(task_path="grading.tasks.release_digests_send")
    assert task.args_kwargs == {"args": [], "kwargs": {"event_ids": [event.pk]}}


def test_the_digest_goes_once_to_each_student_with_a_graded_answer_listing_every_question(client, world):
    second = make_question(world.module, 2)
    grade(world.response, world.ta)
    grade(make_response(world.student, second), world.ta)
    grade(world.other_response, world.ta)
    client.force_login(world.instructor)
    client.post(_module_url(world), {"action": "release", "confirm": "1"})
    event_ids = list(ReleaseEvent.objects.values_list("pk", flat=True))
    assert release_digests_deliver(event_ids) == 2
    assert release_digests_deliver(event_ids) == 0  # a retried task sends nothing new
    notice = Notice.objects.get(recipient=world.student)
    assert notice.kind == NoticeKind.GRADES_RELEASED and notice.subject == "Grades released in ML Systems"
    assert "Q1." in notice.body and "Q2." in notice.body and "2 questions" in notice.body
    assert notice.key == f"release:{','.join(map(str, sorted(event_ids)))}:{world.student.pk}"
    assert Notice.objects.get(recipient=world.other_student).body.count("\n- Q") == 1


def test_withdraw_goes_through_the_same_confirmation(client, world):
    grade(world.response, world.ta, feedback="Seen then hidden.")
    release(world.question, world.instructor)
    client.force_login(world.instructor)
    page = client.get(f"{_question_url(world)}?action=withdraw").content.decode()
    assert "Withdraw these grades" in page and "Release these grades now" not in page
    assert client.post(_question_url(world), {"action": "withdraw"}).status_code == 400
    assert GradeRelease.objects.get(question=world.question).released
    old = client.post(f"/grading/questions/{world.question.pk}/release/", {"released": "0"})
    assert old["Location"] == f"{_question_url(world)}?action=withdraw"
    assert GradeRelease.objects.get(question=world.question).released
    client.post(_question_url(world), {"action": "withdraw", "confirm": "1"})
    assert not GradeRelease.objects.get(question=world.question).released
    assert list(ReleaseEvent.objects.values_list("released", flat=True)) == [True, False]


def test_the_overview_links_to_the_confirmation_pages(client, world):
    client.force_login(world.instructor)
    page = client.get(f"/grading/{world.course.slug}/").content.decode()
    assert f'href="{_module_url(world)}?action=release"' in page
    assert f'href="{_question_url(world)}?action=release"' in page
    assert 'name="released"' not in page


def test_a_ta_cannot_release_and_students_and_strangers_get_404(client, world):
    grade(world.response, world.ta)
    client.force_login(world.ta)
    assert client.get(_question_url(world)).status_code == 403
    assert client.post(_question_url(world), {"action": "release", "confirm": "1"}).status_code == 403
    assert client.post(_module_url(world), {"action": "release", "confirm": "1"}).status_code == 403
    for user in (world.student, world.outsider, world.other_ta):
        client.force_login(user)
        assert client.post(_question_url(world), {"action": "release", "confirm": "1"}).status_code == 404
        assert client.get(_module_url(world)).status_code == 404
    assert not GradeRelease.objects.exists()


@pytest.mark.parametrize("students", [10, 200])
def test_the_confirmation_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    make_question(world.module, 2)
    for i in range(students):
        user = make_user(f"bulk{i:04d}")
        Enrollment.objects.create(user=user, course=world.course, role=Role.STUDENT)
        grade(make_response(user, world.question), world.ta)
    client.force_login(world.instructor)
    # session, user, module via staff enrollment, questions with counts and release, the active students;
    # per question (two here): their sections, the extensions (courses.deadlines); double-marked answers
    # waiting for moderation (their bands only when there are some)
    with django_assert_num_queries(10):
        page = client.get(_module_url(world))
    assert page.status_code == 200
    assert _cell(_row(page.content.decode(), world.question), "graded") == str(students)
