"""Background work of grading: scheduled releases, the release digests and the near-duplicate checks
(django-tasks, database backend).

Every task is safe to run twice: releases re-check their rows under a lock, and each digest is a
notice keyed by release and student, which courses.notices creates once; a near-duplicate check
replaces a question's pairs (keeping reviewed ones) under a lock on the question.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from courses.models import Question
from courses.notices import release_digests_notify
from grading import services, similarity
from grading.models import GradeRelease, ReleaseEvent
from grading.releases import digest_recipients, due_releases, release_key


@transaction.atomic
def grades_release_notify(*, questions: Iterable[Question], actor) -> int:
    """Release through services.grades_release and, once committed, queue one digest per affected student.

    Returns how many questions changed. The digests go through the task queue, so releasing for a
    thousand students returns at once.
    """
    questions = list(questions)
    mark = timezone.now()
    changed = services.grades_release(questions=questions, actor=actor, released=True)
    event_ids = list(
        ReleaseEvent.objects.filter(question__in=questions, actor=actor, released=True, created_at__gte=mark)
        .values_list("pk", flat=True)
    )
    if event_ids:
        transaction.on_commit(lambda: release_digests_send.enqueue(event_ids=event_ids))
    return changed


def release_digests_deliver(event_ids: list[int]) -> int:
    """One digest notice per affected student for the release made of `event_ids`; returns how many were new."""
    course, questions_by_student_id = digest_recipients(event_ids)
    if course is None:
        return 0
    return release_digests_notify(
        course=course, questions_by_student_id=questions_by_student_id, release_key=release_key(event_ids),
    )


def scheduled_releases_release(now: datetime | None = None) -> int:
    """Release every question whose scheduled time has come: one release, and one digest, per schedule.

    Idempotent: releasing clears the schedule, and the rows are locked and re-checked, so a second run,
    or two workers at once, release nothing twice. Returns how many questions changed.
    """
    now = now or timezone.now()
    changed = 0
    for rows in due_releases(now).values():
        with transaction.atomic():
            still_due = list(
                GradeRelease.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=[r.pk for r in rows], released=False, scheduled_for__lte=now)
                .select_related("question__module__course", "scheduled_by")
            )
            if still_due:
                changed += grades_release_notify(
                    questions=[r.question for r in still_due], actor=still_due[0].scheduled_by,
                )
    return changed


@task()
def release_digests_send(*, event_ids: list[int]) -> int:
    """Queued after a release commits: the students' digests."""
    return release_digests_deliver(event_ids)


@task()
def scheduled_releases_run() -> int:
    """Periodic (settings.PERIODIC_TASKS): release what is scheduled for now or earlier."""
    return scheduled_releases_release()


def similar_answers_refresh_all() -> int:
    """Check every question with a submission since its last near-duplicate check; returns how many were checked.

    A question keeps the threshold staff last chose for it.
    """
    checked = 0
    for question in similarity.questions_due_for_check().select_related("module__course", "similarity_check"):
        previous = getattr(question, "similarity_check", None)
        similarity.similar_answers_check(
            question=question, threshold=previous.threshold if previous else similarity.DEFAULT_THRESHOLD,
        )
        checked += 1
    return checked


@task()
def similar_answers_refresh() -> int:
    """Periodic (settings.PERIODIC_TASKS): look for near-duplicate answers where new ones came in."""
    return similar_answers_refresh_all()
