"""Deadline reminders: each active student who hasn't submitted hears once, 24 hours ahead of their own deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import (
    Enrollment,
    EnrollmentStatus,
    Extension,
    Notice,
    NoticeKind,
    NoticePreferences,
    Section,
)
from courses.tasks import deadline_reminders_send
from courses.tests.factories import enroll, make_module, make_question, make_response, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def now():
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False) as clock:
        clock.now = moment
        yield clock


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _reminded(question=None) -> set[str]:
    notices = Notice.objects.filter(kind=NoticeKind.DEADLINE_REMINDER)
    if question is not None:
        notices = notices.filter(key__startswith=f"reminder:{question.pk}:")
    return set(notices.values_list("recipient__username", flat=True))


def _extend(world, question, due_at, *, student=None, section=None):
    return Extension.objects.create(course=world.course, question=question, student=student, section=section,
                                    due_at=due_at, reason="Illness", granted_by=world.instructor)


def test_students_who_have_not_submitted_are_reminded_within_24_hours_and_get_the_email(
    world, now, smtp_server, run_worker, settings,
):
    due = now.now + timedelta(hours=10)
    soon = make_question(world.module, 2, title="Softmax stability", due_at=due)
    make_response(world.student, soon, submitted=False)  # a draft is not a submission
    world.question.due_at = due
    world.question.save()  # both students submitted this one
    make_question(world.module, 3, due_at=now.now + timedelta(hours=30))  # not yet
    make_question(world.module, 4, due_at=now.now - timedelta(hours=2))  # already past
    run_worker()
    assert _reminded() == {"student", "other_student"}
    assert _reminded(soon) == {"student", "other_student"}
    notice = Notice.objects.get(recipient=world.student)
    assert notice.key == f"reminder:{soon.pk}:{world.student.pk}:{int(due.timestamp())}"
    assert notice.url == f"/questions/{soon.pk}/" and notice.course == world.course
    assert "Q2. Softmax stability" in notice.subject and "(UTC)" in notice.subject
    assert sorted(m["To"] for m in smtp_server.messages) == ["other_student@example.edu", "student@example.edu"]
    assert f"{settings.SITE_URL}/questions/{soon.pk}/" in smtp_server.messages[0].get_content()


def test_a_second_tick_sends_nothing_new(world, now, run_worker):
    make_question(world.module, 2, due_at=now.now + timedelta(hours=5))
    run_worker()
    first = list(Notice.objects.values_list("pk", flat=True))
    now.shift(timedelta(minutes=1))
    run_worker()
    now.shift(timedelta(hours=1))
    run_worker()
    assert sorted(Notice.objects.values_list("pk", flat=True)) == sorted(first) and len(first) == 2
    assert Notice.objects.filter(email_status="sent").count() == 2


def test_staff_dropped_and_opted_out_students_get_no_reminder(world, now, run_worker):
    question = make_question(world.module, 2, due_at=now.now + timedelta(hours=5))
    dropped, quiet = make_user("dropped"), make_user("quiet")
    enroll(dropped, world.course)
    enroll(quiet, world.course)
    Enrollment.objects.filter(user=dropped).update(status=EnrollmentStatus.DROPPED, dropped_at=now.now)
    NoticePreferences.objects.create(user=quiet, deadline_reminders=False)
    run_worker()
    assert _reminded(question) == {"student", "other_student"}  # no ta, instructor, dropped, quiet or outsider


def test_drafts_and_unopened_questions_are_not_reminded(world, now, run_worker):
    draft = make_module(world.course, 2, is_published=False)
    make_question(draft, 1, due_at=now.now + timedelta(hours=5))
    make_question(world.module, 2, opens_at=now.now + timedelta(hours=1), due_at=now.now + timedelta(hours=5))
    run_worker()
    assert _reminded() == set()


def test_an_extension_moves_the_reminder_with_the_deadline(world, now, run_worker):
    due = now.now + timedelta(hours=10)
    question = make_question(world.module, 2, due_at=due)
    _extend(world, question, now.now + timedelta(hours=48), student=world.student)
    run_worker()
    assert _reminded(question) == {"other_student"}
    now.shift(timedelta(hours=30))  # the student's own deadline is now 18 hours away
    run_worker()
    assert _reminded(question) == {"other_student", "student"}
    mine = Notice.objects.get(recipient=world.student)
    assert mine.key.endswith(f":{int((due + timedelta(hours=38)).timestamp())}")


def test_an_extension_into_the_window_reminds_even_after_the_ordinary_deadline(world, now, run_worker):
    section = Section.objects.create(course=world.course, name="Lab A")
    Enrollment.objects.filter(user=world.other_student).update(section=section)
    question = make_question(world.module, 2, due_at=now.now - timedelta(hours=3))
    _extend(world, question, now.now + timedelta(hours=6), section=section)
    run_worker()
    assert _reminded(question) == {"other_student"}


def test_a_moved_deadline_reminds_again_but_an_unchanged_one_does_not(world, now, run_worker):
    question = make_question(world.module, 2, due_at=now.now + timedelta(hours=4))
    run_worker()
    _extend(world, question, now.now + timedelta(hours=20), student=world.student)
    now.shift(timedelta(minutes=5))
    run_worker()
    keys = sorted(Notice.objects.filter(recipient=world.student).values_list("key", flat=True))
    assert len(keys) == 2 and Notice.objects.filter(recipient=world.other_student).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("students", [10, 200])
def test_reminders_cost_the_same_queries_at_10_and_200_students(world, students):
    due = timezone.now() + timedelta(hours=5)
    make_question(world.module, 2, due_at=due)
    for i in range(students):
        enroll(make_user(f"s{students}-{i}"), world.course)
    with CaptureQueriesContext(connection) as warm:
        deadline_reminders_send.call()
    assert Notice.objects.count() == students + 2
    # questions in the window; per question: students to remind, their sections, extensions;
    # keys already stored, the new notices' ids; and the insert, in batches as large as the database allows
    statements = [q["sql"] for q in warm.captured_queries if "SAVEPOINT" not in q["sql"]]
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert len(statements) - len(inserts) == 6
    assert 1 <= len(inserts) <= (1 if connection.vendor == "postgresql" else 3)
