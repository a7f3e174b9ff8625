"""Reads for releasing with care: what a release would show, who gets a digest, which schedules are due.

grading.services.grades_release stays the one place that changes release state; grading.tasks
wraps it so every release (immediate or scheduled) queues its students' digests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from courses.deadlines import deadlines_for_question
from courses.models import Course, Enrollment, EnrollmentStatus, Question, Response, ResponseStatus, Role
from grading.models import GradeRelease
from grading.selectors import _FLAGGED, _SUBMITTED


@dataclass
class QuestionPreview:
    """One question as the release confirmation page shows it."""

    question: Question
    graded: int
    ungraded: int
    flagged: int
    released: bool
    scheduled_for: datetime | None
    due_at: datetime | None
    deadline_passed: bool
    extensions_running: int  # students whose extended deadline is still ahead
    latest_extension: datetime | None


def release_preview(questions: QuerySet[Question], now: datetime | None = None) -> list[QuestionPreview]:
    """Per question: graded, ungraded and flagged answers, release and schedule state, and the deadline.

    One query for the counts, one for the course's active students, then two per question for their
    deadlines (courses.deadlines) — a fixed number whatever the class size.
    """
    now = now or timezone.now()
    rows = list(
        Question.objects.filter(pk__in=questions.values("pk"))
        .select_related("release", "module__course")
        .annotate(
            submitted=Count("responses", filter=_SUBMITTED),
            graded=Count("responses__grade", filter=_SUBMITTED),
            flagged=Count("responses", filter=_FLAGGED),
        )
        .order_by("module__number", "number")
    )
    if not rows:
        return []
    students = list(
        Enrollment.objects.active().filter(course_id=rows[0].module.course_id, role=Role.STUDENT)
        .values_list("user_id", flat=True)
    )
    previews = []
    for q in rows:
        deadlines = deadlines_for_question(q, students).values()
        running = [d.due_at for d in deadlines if d.extended and not d.is_past(now)]
        release = q.release if _has_release(q) else None
        previews.append(QuestionPreview(
            question=q, graded=q.graded, ungraded=q.submitted - q.graded, flagged=q.flagged,
            released=bool(release and release.released), scheduled_for=release.scheduled_for if release else None,
            due_at=q.due_at, deadline_passed=q.is_past_due(now), extensions_running=len(running),
            latest_extension=max(running) if running else None,
        ))
    return previews


def _has_release(question: Question) -> bool:
    try:
        question.release  # noqa: B018 - select_related filled it, or raises for a missing row
    except GradeRelease.DoesNotExist:
        return False
    return True


def release_key(event_ids: list[int]) -> str:
    """Names one release in its digests' notice keys ("release:<key>:<student id>"): the release event ids."""
    return ",".join(str(i) for i in sorted(event_ids))


def digest_recipients(event_ids: list[int]) -> tuple[Course | None, dict[int, list[Question]]]:
    """The release's course, and student id → the released questions on which they have a graded answer.

    Active students only; questions withdrawn again since are left out. Three queries, whatever the class size.
    """
    questions = {
        q.pk: q for q in Question.objects.filter(
            release_events__pk__in=event_ids, release_events__released=True, release__released=True,
        ).select_related("module__course").order_by("module__number", "number").distinct()
    }
    if not questions:
        return None, {}
    course = next(iter(questions.values())).module.course
    active = Enrollment.objects.filter(
        user=OuterRef("student"), course=course, role=Role.STUDENT, status=EnrollmentStatus.ACTIVE,
    )
    pairs = (
        Response.objects.filter(question__in=list(questions), status=ResponseStatus.SUBMITTED, grade__isnull=False)
        .filter(Exists(active))
        .order_by("student_id", "question__module__number", "question__number")
        .values_list("student_id", "question_id")
    )
    by_student: dict[int, list[Question]] = defaultdict(list)
    for student_id, question_id in pairs.iterator(chunk_size=2000):
        by_student[student_id].append(questions[question_id])
    return course, dict(by_student)


def due_releases(now: datetime) -> dict[tuple[int, int, datetime], list[GradeRelease]]:
    """Schedules whose time has come, grouped as they were made: (course, who scheduled, when) → rows."""
    groups: dict[tuple[int, int, datetime], list[GradeRelease]] = defaultdict(list)
    due = (
        GradeRelease.objects.filter(released=False, scheduled_for__lte=now)
        .select_related("question__module", "scheduled_by")
        .order_by("scheduled_for", "question__module__number", "question__number")
    )
    for release in due:
        groups[(release.question.module.course_id, release.scheduled_by_id, release.scheduled_for)].append(release)
    return groups
