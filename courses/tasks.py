"""Background tasks (django-tasks, database backend), run by `manage.py worker`.

- `notice_email_send` / `notice_emails_send`: e-mail notices. Idempotent: each notice's row is
  locked while it is sent, and only a pending or failed notice is sent, so a task that runs twice
  (a retry, a second worker, a duplicate enqueue) never sends a notice twice. A failed send is
  recorded and queued again with exponential backoff, until NOTICE_EMAIL_MAX_ATTEMPTS.
- `notice_emails_resume`: periodic; queues again the e-mails whose task was lost with a killed worker.
- `deadline_reminders_send`: periodic (settings.PERIODIC_TASKS). Idempotent through the notice key.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

# notices imports this module back, so both import the module, not names.
from courses import notices
from courses.deadlines import deadlines_for_question
from courses.invitation_links import with_set_password_link
from courses.models import (
    DeliveryStatus,
    Enrollment,
    Extension,
    Notice,
    NoticeKind,
    NoticePreferences,
    Question,
    Response,
    ResponseStatus,
    Role,
)

REMINDER_WINDOW = timedelta(hours=24)
# A pending notice this old with no e-mail task waiting lost its task.
RESUME_AFTER = timedelta(minutes=10)
RESUME_LIMIT = 1000
SENDABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


# --- e-mail ------------------------------------------------------------------------------------


@task()
def notice_email_send(notice_id: int) -> str:
    """E-mail one notice unless it was sent (or given up) already; returns its status afterwards."""
    return _deliver([notice_id])[0]


@task()
def notice_emails_send(notice_ids: list[int]) -> list[str]:
    """E-mail a batch of notices over one connection to the mail server; each as `notice_email_send`."""
    return _deliver(notice_ids)


def _deliver(notice_ids: list[int]) -> list[str]:
    connection = get_connection(fail_silently=False)
    try:
        return [_deliver_one(pk, connection) for pk in notice_ids]
    finally:
        _close_quietly(connection)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection is dropped either way; the next send opens a new one
        if hasattr(connection, "connection"):
            connection.connection = None


def _reminders_on(user) -> bool:
    try:
        return user.notice_preferences.deadline_reminders
    except NoticePreferences.DoesNotExist:
        return True


def _email_body(notice: Notice) -> str:
    body = notice.body
    if notice.kind == NoticeKind.INVITATION:
        body = with_set_password_link(body, notice.recipient)
    return (
        f"{body}\n\n-- \nreflect sent this e-mail to {notice.recipient.email}. "
        f"Your notices, and which e-mails you get: {notices.preferences_url()}\n"
    )


def _deliver_one(notice_id: int, connection) -> str:
    with transaction.atomic():
        # The lock makes "check the status, send, mark sent" one step for every worker.
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("recipient__notice_preferences")
            .filter(pk=notice_id).first()
        )
        if notice is None or notice.email_status not in SENDABLE:
            return notice.email_status if notice else "missing"
        now = timezone.now()
        if notice.kind == NoticeKind.DEADLINE_REMINDER and not _reminders_on(notice.recipient):
            notice.email_status = DeliveryStatus.SKIPPED
            notice.last_error = "Deadline reminders are turned off."
        elif not notice.recipient.email:
            notice.email_status = DeliveryStatus.SKIPPED
            notice.last_error = "No e-mail address."
        else:
            _attempt(notice, connection, now)
        notice.save(update_fields=["email_status", "email_attempts", "emailed_at", "last_error"])
        return notice.email_status


def _attempt(notice: Notice, connection, now: datetime) -> None:
    message = EmailMessage(
        subject=notice.subject, body=_email_body(notice), from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.recipient.email], connection=connection, headers={"Auto-Submitted": "auto-generated"},
    )
    notice.email_attempts += 1
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - whatever the mail server did, record it and try again later
        _close_quietly(connection)
        notice.last_error = f"{type(error).__name__}: {error}"[:500]
        if notice.email_attempts >= settings.NOTICE_EMAIL_MAX_ATTEMPTS:
            notice.email_status = DeliveryStatus.GAVE_UP
            return
        notice.email_status = DeliveryStatus.FAILED
        delay = timedelta(seconds=settings.NOTICE_RETRY_SECONDS * 2 ** (notice.email_attempts - 1))
        # Queued in this transaction: with the database backend the failure and its retry commit together.
        notice_email_send.using(run_after=now + delay).enqueue(notice.pk)
        return
    notice.email_status = DeliveryStatus.SENT
    notice.emailed_at = now
    notice.last_error = ""


@task()
def notice_emails_resume() -> int:
    """Queue again the pending e-mails whose task was lost (a worker killed mid-task); returns how many.

    Periodic. Only while no e-mail task is ready to run, so a long backlog is never queued twice,
    and only for notices older than RESUME_AFTER. Sending twice is impossible anyway: see above.
    """
    now = timezone.now()
    waiting = DBTaskResult.objects.ready().filter(task_path__in=[notice_email_send.module_path,
                                                                 notice_emails_send.module_path])
    if waiting.exists():
        return 0
    stranded = list(
        Notice.objects.filter(email_status=DeliveryStatus.PENDING, created_at__lt=now - RESUME_AFTER)
        .order_by("pk").values_list("pk", flat=True)[:RESUME_LIMIT]
    )
    for start in range(0, len(stranded), notices.EMAIL_BATCH):
        notice_emails_send.enqueue(stranded[start:start + notices.EMAIL_BATCH])
    return len(stranded)


# --- deadline reminders ------------------------------------------------------------------------


@task()
def deadline_reminders_send() -> int:
    """Remind each active student who hasn't submitted of a deadline in the next 24 hours; returns how many.

    Per question with a deadline in the window: four queries whatever the number of students.
    """
    now = timezone.now()
    horizon = now + REMINDER_WINDOW
    return sum(_question_reminders(question, now, horizon) for question in _reminder_questions(now, horizon))


def _reminder_questions(now: datetime, horizon: datetime) -> list[Question]:
    """Open questions of published modules whose deadline, or some student's extension, falls in the window."""
    extended_into_window = Extension.objects.filter(due_at__gt=now, due_at__lte=horizon).filter(
        Q(question=OuterRef("pk")) | Q(module=OuterRef("module"))
    )
    return list(
        Question.objects.filter(module__is_published=True)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(Q(due_at__gt=now, due_at__lte=horizon) | Exists(extended_into_window))
        .select_related("module__course")
        .order_by("pk")
    )


def _question_reminders(question: Question, now: datetime, horizon: datetime) -> int:
    course = question.module.course
    submitted = Response.objects.filter(question=question, student=OuterRef("user"), status=ResponseStatus.SUBMITTED)
    opted_out = NoticePreferences.objects.filter(user=OuterRef("user"), deadline_reminders=False)
    student_ids = list(
        Enrollment.objects.active().filter(course=course, role=Role.STUDENT)
        .exclude(Exists(submitted)).exclude(Exists(opted_out))
        .values_list("user_id", flat=True)
    )
    deadlines = deadlines_for_question(question, student_ids)
    zone = zoneinfo.ZoneInfo(course.time_zone)
    link = notices.site_url(question.get_absolute_url())
    drafts = []
    for student_id, deadline in deadlines.items():
        if deadline.due_at is None or not now < deadline.due_at <= horizon:
            continue
        when = f"{deadline.due_at.astimezone(zone):%a %-d %b, %H:%M} ({course.time_zone})"
        drafts.append(notices.NoticeDraft(
            recipient_id=student_id, kind=NoticeKind.DEADLINE_REMINDER, course_id=course.pk,
            # The deadline is in the key: an extension that moves it reminds again, a retry never does.
            key=f"reminder:{question.pk}:{student_id}:{int(deadline.due_at.timestamp())}",
            subject=f"Due {when}: Q{question.number}. {question.title}",
            body=(
                f"{course.title} · {question.module.title}\n\n"
                f"“Q{question.number}. {question.title}” is due {when}, and you haven't submitted an answer yet. "
                "A saved draft is not graded until you submit it.\n\n"
                f"Answer it here: {link}"
            ),
            url=question.get_absolute_url(),
        ))
    return notices.notify_many(drafts)
