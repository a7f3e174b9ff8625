"""Notices are created once per key and e-mailed once by the worker, through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from courses.management.commands.worker import periodic_tasks_enqueue
from courses.models import DeliveryStatus, Notice, NoticeKind, NoticePreferences
from courses.notices import (
    notify,
    regrade_answered_notify,
    release_digest_notify,
    release_digests_notify,
)
from courses.tasks import notice_email_send, notice_emails_resume
from courses.tests.factories import enroll, make_question, make_user

# The worker commits as it goes (as in production), so most tests run outside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_periodic_tasks(settings):
    settings.PERIODIC_TASKS = []  # these tests are about e-mail; test_reminders ticks


def _notify(user, key="hello:1", kind=NoticeKind.INVITATION, **fields) -> Notice:
    fields.setdefault("subject", "Welcome to ML Systems")
    fields.setdefault("body", "Set your password at https://reflect.example/x")
    return notify(recipient=user, kind=kind, key=key, **fields)


def _ready_email_tasks():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path__startswith="courses.tasks.notice_")


@pytest.mark.django_db
def test_notify_queues_the_email_only_after_the_transaction_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notice = _notify(world.student)
        assert not _ready_email_tasks().exists()  # nothing is queued, let alone sent, inside the request
    assert len(callbacks) == 1
    callbacks[0]()
    task = _ready_email_tasks().get()
    assert task.args_kwargs == {"args": [notice.pk], "kwargs": {}}
    assert notice.email_status == DeliveryStatus.PENDING and notice.recipient == world.student


@pytest.mark.django_db
def test_a_second_notify_with_the_same_key_returns_the_first_notice_and_queues_nothing(
    world, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as first:
        notice = _notify(world.student)
    with django_capture_on_commit_callbacks(execute=True) as second:
        again = _notify(world.student, subject="Another subject")
    assert again.pk == notice.pk and again.subject == "Welcome to ML Systems"
    assert len(first) == 1 and second == []
    assert Notice.objects.count() == 1 and _ready_email_tasks().count() == 1


@pytest.mark.django_db
def test_a_subject_is_kept_on_one_line_and_a_bad_key_is_refused(world):
    notice = _notify(world.student, subject="Line one\r\nBcc: everyone@example.edu")
    assert notice.subject == "Line one Bcc: everyone@example.edu"
    for key in ("", "k" * 201):
        with pytest.raises(ValueError, match="notice key"):
            _notify(world.student, key=key)
    assert Notice.objects.count() == 1


def test_the_worker_sends_the_notice_to_the_smtp_server(world, smtp_server, run_worker, settings,
                                                         django_capture_on_commit_callbacks):
    settings.DEFAULT_FROM_EMAIL = "reflect <noreply@reflect.example>"
    with django_capture_on_commit_callbacks(execute=True):
        notice = _notify(world.student)
    run_worker()
    [message] = smtp_server.messages
    assert message["Subject"] == "Welcome to ML Systems"
    assert message["To"] == "student@example.edu" and message["X-Envelope-To"] == "student@example.edu"
    assert message["From"] == "reflect <noreply@reflect.example>"
    body = message.get_content()
    assert "Set your password at https://reflect.example/x" in body
    assert f"{settings.SITE_URL}/account/notices/preferences/" in body
    notice.refresh_from_db()
    assert notice.email_status == DeliveryStatus.SENT and notice.email_attempts == 1 and notice.emailed_at


def test_a_retried_or_duplicated_task_never_sends_twice(world, smtp_server, run_worker,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = _notify(world.student)
    notice_email_send.enqueue(notice.pk)  # a duplicate before the first has run
    run_worker()
    notice_email_send.enqueue(notice.pk)  # a retry after it was sent
    run_worker()
    assert len(smtp_server.messages) == 1
    notice.refresh_from_db()
    assert notice.email_attempts == 1 and notice.email_status == DeliveryStatus.SENT


def test_a_failed_send_is_recorded_and_retried_with_backoff_until_the_server_is_back(
    world, smtp_server, run_worker, settings, django_capture_on_commit_callbacks,
):
    settings.NOTICE_RETRY_SECONDS = 60
    smtp_server.stop()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notice = _notify(world.student)
        run_worker()
        notice.refresh_from_db()
        assert notice.email_status == DeliveryStatus.FAILED and notice.email_attempts == 1
        assert "Connection refused" in notice.last_error or "ConnectionRefused" in notice.last_error
        retry = _ready_email_tasks().get()
        assert retry.run_after == start + timedelta(seconds=60)

        run_worker()  # not yet due: nothing happens
        notice.refresh_from_db()
        assert notice.email_attempts == 1

        clock.move_to(start + timedelta(seconds=61))
        run_worker()  # still down: the wait doubles
        notice.refresh_from_db()
        assert notice.email_status == DeliveryStatus.FAILED and notice.email_attempts == 2
        assert _ready_email_tasks().get().run_after == start + timedelta(seconds=61 + 120)

        smtp_server.start()
        clock.move_to(start + timedelta(seconds=61 + 121))
        run_worker()
    notice.refresh_from_db()
    assert notice.email_status == DeliveryStatus.SENT and notice.email_attempts == 3 and notice.last_error == ""
    assert [m["Subject"] for m in smtp_server.messages] == ["Welcome to ML Systems"]
    assert not _ready_email_tasks().exists()


def test_it_gives_up_after_the_last_attempt(world, smtp_server, run_worker, settings,
                                            django_capture_on_commit_callbacks):
    settings.NOTICE_EMAIL_MAX_ATTEMPTS = 2
    smtp_server.stop()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notice = _notify(world.student)
        run_worker()
        clock.shift(timedelta(hours=1))
        run_worker()
        clock.shift(timedelta(hours=1))
        run_worker()
    notice.refresh_from_db()
    assert notice.email_status == DeliveryStatus.GAVE_UP and notice.email_attempts == 2
    assert not _ready_email_tasks().exists()


def test_reminders_turned_off_are_not_emailed_but_invitations_and_grades_still_are(
    world, smtp_server, run_worker, django_capture_on_commit_callbacks,
):
    NoticePreferences.objects.create(user=world.student, deadline_reminders=False)
    with django_capture_on_commit_callbacks(execute=True):
        reminder = _notify(world.student, key="r", kind=NoticeKind.DEADLINE_REMINDER, subject="Due soon")
        invitation = _notify(world.student, key="i", kind=NoticeKind.INVITATION, subject="Invitation")
        grades = _notify(world.student, key="g", kind=NoticeKind.GRADES_RELEASED, subject="Grades")
    run_worker()
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Grades", "Invitation"]
    notices = Notice.objects.filter(pk__in=[reminder.pk, invitation.pk, grades.pk])
    statuses = dict(notices.values_list("key", "email_status"))
    assert statuses == {"r": DeliveryStatus.SKIPPED, "i": DeliveryStatus.SENT, "g": DeliveryStatus.SENT}


def test_a_person_without_an_email_address_is_skipped(world, smtp_server, run_worker,
                                                      django_capture_on_commit_callbacks):
    nobody = make_user("noaddress", email="")
    with django_capture_on_commit_callbacks(execute=True):
        notice = _notify(nobody)
    run_worker()
    notice.refresh_from_db()
    assert notice.email_status == DeliveryStatus.SKIPPED and smtp_server.messages == []


def test_a_release_digest_is_one_email_per_student_listing_questions_without_scores(
    world, smtp_server, run_worker, settings, django_capture_on_commit_callbacks,
):
    second = make_question(world.module, 2, title="Softmax stability")
    third_student = make_user("third")
    enroll(third_student, world.course)
    by_student = {world.student.pk: [world.question, second], world.other_student.pk: [world.question],
                  third_student.pk: []}
    with django_capture_on_commit_callbacks(execute=True):
        created = release_digests_notify(course=world.course, questions_by_student_id=by_student, release_key="m1")
    with django_capture_on_commit_callbacks(execute=True):
        again = release_digests_notify(course=world.course, questions_by_student_id=by_student, release_key="m1")
    assert (created, again) == (2, 0)
    run_worker()
    received = {m["To"]: m for m in smtp_server.messages}
    assert sorted(received) == ["other_student@example.edu", "student@example.edu"]
    mine = received["student@example.edu"]
    assert mine["Subject"] == "Grades released in ML Systems"
    body = mine.get_content()
    assert "Q1. Question 1" in body and "Q2. Softmax stability" in body
    assert f"{settings.SITE_URL}/questions/{second.pk}/" in body
    assert "score" not in body.replace("Your scores and feedback are on the site", "").lower()
    assert "SECRET-MARK-SCHEME" not in body


@pytest.mark.django_db
def test_release_digest_notify_for_one_student_is_idempotent(world):
    first = release_digest_notify(course=world.course, student=world.student, questions=[world.question],
                                  release_key="q1")
    second = release_digest_notify(course=world.course, student=world.student, questions=[world.question],
                                   release_key="q1")
    assert first.pk == second.pk and first.kind == NoticeKind.GRADES_RELEASED and first.course == world.course
    assert first.url == f"/courses/{world.course.slug}/"


@pytest.mark.django_db
def test_an_answered_regrade_notifies_the_student_with_a_link(world):
    notice = regrade_answered_notify(student=world.student, question=world.question,
                                     response_url=f"/responses/{world.response.pk}/")
    assert notice.recipient == world.student and notice.kind == NoticeKind.REGRADE_ANSWERED
    assert notice.subject == "Your regrade request was answered: Q1. Question 1"
    assert f"/responses/{world.response.pk}/" in notice.body and notice.url == f"/responses/{world.response.pk}/"


def test_the_worker_queues_a_periodic_task_once_while_a_run_is_waiting(settings):
    settings.PERIODIC_TASKS = ["courses.tasks.deadline_reminders_send"]
    assert periodic_tasks_enqueue() == ["courses.tasks.deadline_reminders_send"]
    assert periodic_tasks_enqueue() == []
    call_command("worker", "--batch")
    assert DBTaskResult.objects.filter(task_path="courses.tasks.deadline_reminders_send",
                                       status=TaskResultStatus.SUCCESSFUL).count() == 1


def test_a_pending_email_whose_task_was_lost_is_queued_again_once_the_queue_is_idle(
    world, smtp_server, run_worker, settings,
):
    settings.PERIODIC_TASKS = ["courses.tasks.notice_emails_resume"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # As if a worker was killed mid-send: the notice is pending and its task is gone.
        stranded = Notice.objects.create(recipient=world.student, kind=NoticeKind.INVITATION, key="lost",
                                         subject="Lost", body="Body")
        run_worker()
        assert smtp_server.messages == []  # too recent: its task may still be on its way
        clock.shift(timedelta(minutes=11))
        fresh = Notice.objects.create(recipient=world.other_student, kind=NoticeKind.INVITATION, key="fresh",
                                      subject="Fresh", body="Body")
        notice_email_send.enqueue(fresh.pk)
        assert notice_emails_resume.call() == 0  # an e-mail task is waiting: leave the backlog alone
        run_worker()
        run_worker()  # the next tick, whichever order the first ran its tasks in
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Fresh", "Lost"]
    stranded.refresh_from_db()
    assert stranded.email_status == DeliveryStatus.SENT
