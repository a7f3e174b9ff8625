"""Notices: what a person should hear about, shown in the app's "Recent" panel and e-mailed once.

`notify` (and `notify_many` for a crowd) is the one way in: it creates the notice once per key
and, after the transaction commits, queues its e-mail on the background task queue
(`courses.tasks`). Nothing here talks to a mail server, so no request ever waits on one.
The other apps compose their notices through the builders below (`grading` calls
`release_digests_notify` and `regrade_answered_notify`; `courses` never imports `grading`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

# The e-mail tasks. courses.tasks imports this module back, so both import the module, not names.
from courses import tasks as notice_tasks
from courses.models import Course, DeliveryStatus, Notice, NoticeKind, NoticePreferences, Question

KEY_MAX = Notice._meta.get_field("key").max_length
SUBJECT_MAX = Notice._meta.get_field("subject").max_length
URL_MAX = Notice._meta.get_field("url").max_length
RECENT_LIMIT = 8
# Notices per e-mail task when many are queued at once: one SMTP connection serves a batch.
EMAIL_BATCH = 50
DRAFT_SLICE = 200


@dataclass(frozen=True)
class NoticeDraft:
    """A notice not yet stored, for `notify_many`."""

    recipient_id: int
    kind: str
    key: str
    subject: str
    body: str
    url: str = ""
    course_id: int | None = None


def site_url(path: str) -> str:
    """An absolute link for an e-mail: the worker has no request to build one from."""
    return f"{settings.SITE_URL}{path}"


def _one_line(subject: str) -> str:
    # A line break in a subject is a header injection to the mail library; it refuses it.
    return " ".join(subject.split())[:SUBJECT_MAX]


def _checked(key: str, url: str) -> None:
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"A notice key must have 1 to {KEY_MAX} characters.")
    if len(url) > URL_MAX:
        raise ValueError(f"A notice URL has at most {URL_MAX} characters.")


def notify(
    *, recipient, kind: NoticeKind, key: str, subject: str, body: str, url: str = "", course: Course | None = None,
) -> Notice:
    """Create the notice for `key` once and queue its e-mail after commit; a repeated key returns the first notice."""
    _checked(key, url)
    with transaction.atomic():
        notice, created = Notice.objects.get_or_create(key=key, defaults={
            "recipient": recipient, "kind": kind, "subject": _one_line(subject), "body": body, "url": url,
            "course": course,
        })
        if created:
            # robust: if queuing fails, the request still succeeds; notice_emails_resume queues it later.
            transaction.on_commit(partial(notice_tasks.notice_email_send.enqueue, notice.pk), robust=True)
    return notice


def notify_many(drafts: Iterable[NoticeDraft]) -> int:
    """Create the notices whose keys are new and queue their e-mails in batches after commit; returns how many.

    Three queries and one e-mail task per EMAIL_BATCH notices, whatever their number.
    """
    drafts = list({d.key: d for d in drafts}.values())
    for draft in drafts:
        _checked(draft.key, draft.url)
    if not drafts:
        return 0
    with transaction.atomic():
        existing = set(Notice.objects.filter(key__in=[d.key for d in drafts]).values_list("key", flat=True))
        new = [d for d in drafts if d.key not in existing]
        if not new:
            return 0
        # A concurrent run may insert the same key first: it wins, and its task sends that one.
        Notice.objects.bulk_create([
            Notice(recipient_id=d.recipient_id, course_id=d.course_id, kind=d.kind, key=d.key,
                   subject=_one_line(d.subject), body=d.body, url=d.url)
            for d in new
        ], ignore_conflicts=True, batch_size=500)
        ids = list(
            Notice.objects.filter(key__in=[d.key for d in new], email_status=DeliveryStatus.PENDING, email_attempts=0)
            .order_by("pk").values_list("pk", flat=True)
        )
        for start in range(0, len(ids), EMAIL_BATCH):
            transaction.on_commit(partial(notice_tasks.notice_emails_send.enqueue, ids[start:start + EMAIL_BATCH]),
                                  robust=True)
    return len(ids)


# --- what the other parts send ------------------------------------------------------------------


def _question_lines(questions: Sequence[Question]) -> str:
    return "\n".join(f"- Q{q.number}. {q.title}\n  {site_url(q.get_absolute_url())}" for q in questions)


def _release_digest(course: Course, student_id: int, questions: Sequence[Question], release_key: str) -> NoticeDraft:
    count = len(questions)
    body = (
        f"Grades were released in {course.title} for {count} question{'s' if count != 1 else ''}:\n\n"
        f"{_question_lines(questions)}\n\n"
        "Your scores and feedback are on the site (they are not in this e-mail)."
    )
    return NoticeDraft(
        recipient_id=student_id, kind=NoticeKind.GRADES_RELEASED, key=f"release:{release_key}:{student_id}",
        subject=f"Grades released in {course.title}", body=body, url=course.get_absolute_url(), course_id=course.pk,
    )


def release_digest_notify(*, course: Course, student, questions: Sequence[Question], release_key: str) -> Notice:
    """One notice for one student listing the questions a release graded; no scores in it."""
    draft = _release_digest(course, student.pk, questions, release_key)
    return notify(recipient=student, kind=draft.kind, key=draft.key, subject=draft.subject, body=draft.body,
                  url=draft.url, course=course)


def release_digests_notify(
    *, course: Course, questions_by_student_id: Mapping[int, Sequence[Question]], release_key: str,
) -> int:
    """`release_digest_notify` for a whole release at once: bounded queries, e-mails queued in batches.

    `release_key` names the release (e.g. "module-7-release-31"), so repeating the call sends nothing new.
    """
    pending = [(student_id, questions) for student_id, questions in questions_by_student_id.items() if questions]
    created = 0
    with transaction.atomic():
        # In slices, so the drafts held in memory stay the same size whatever the class size.
        for start in range(0, len(pending), DRAFT_SLICE):
            created += notify_many(
                _release_digest(course, student_id, questions, release_key)
                for student_id, questions in pending[start:start + DRAFT_SLICE]
            )
    return created


def regrade_answered_notify(*, student, question: Question, response_url: str) -> Notice:
    """Tell a student their regrade request has an answer (read on the site)."""
    course = question.module.course
    return notify(
        recipient=student, kind=NoticeKind.REGRADE_ANSWERED, key=f"regrade-answered:{question.pk}:{student.pk}",
        subject=f"Your regrade request was answered: Q{question.number}. {question.title}",
        body=(
            f"{course.title}: your regrade request for “Q{question.number}. {question.title}” has an answer.\n\n"
            f"Read it here: {site_url(response_url)}"
        ),
        url=response_url, course=course,
    )


# --- reads and the reader's own changes ---------------------------------------------------------


def recent_notices_for(user, limit: int = RECENT_LIMIT) -> list[Notice]:
    """The user's newest notices with their courses (one query)."""
    return list(Notice.objects.filter(recipient=user).select_related("course").order_by("-created_at", "-id")[:limit])


def notices_for(user) -> QuerySet[Notice]:
    """All of the user's notices, newest first, with their courses."""
    return Notice.objects.filter(recipient=user).select_related("course").order_by("-created_at", "-id")


def get_notice_for_recipient(user, pk: int) -> Notice:
    """The user's own notice, or 404 (one query)."""
    return get_object_or_404(Notice, pk=pk, recipient=user)


def course_notices(course: Course, *, kind: str = "", status: str = "") -> QuerySet[Notice]:
    """Every notice of the course with its recipient, newest first, optionally of one kind and status."""
    notices = Notice.objects.filter(course=course).select_related("recipient").order_by("-created_at", "-id")
    if kind:
        notices = notices.filter(kind=kind)
    if status:
        notices = notices.filter(email_status=status)
    return notices


def notices_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of the user's notices (or all of them) read; returns how many changed."""
    notices = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        notices = notices.filter(pk=pk)
    return notices.update(read_at=timezone.now())


def notice_preferences_for(user) -> NoticePreferences:
    """The user's preferences, or the unsaved defaults (one query)."""
    return NoticePreferences.objects.filter(user=user).first() or NoticePreferences(user=user)


def notice_preferences_save(*, user, deadline_reminders: bool) -> NoticePreferences:
    """Turn the user's deadline reminders on or off."""
    preferences, _ = NoticePreferences.objects.update_or_create(
        user=user, defaults={"deadline_reminders": deadline_reminders},
    )
    return preferences


def preferences_url() -> str:
    return site_url(reverse("notices:preferences"))
