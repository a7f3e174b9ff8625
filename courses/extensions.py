"""Granting and revoking extensions, and keeping late flags in step with them.

An extension is an append-only `Extension` row; revoking is another row with no `due_at`.
Either way the affected students' submitted answers have their late flag and `late_seconds`
recomputed in the same transaction, so flags and penalties always follow the deadline that
`courses.deadlines` gives now.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from courses.deadlines import deadlines_for_question
from courses.models import (
    Course,
    Enrollment,
    Extension,
    Module,
    Question,
    Response,
    ResponseStatus,
    Role,
    Section,
)

REASON_MAX = Extension._meta.get_field("reason").max_length


class ExtensionError(Exception):
    """An extension the service refused; `message` is for the instructor. Nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ExtensionOutcome:
    extension: Extension
    students: int  # how many students it reaches
    reflagged: int  # submitted answers whose late flag or lateness changed


def _check_target(course: Course, *, student, section: Section | None, question: Question | None,
                  module: Module | None) -> None:
    if (student is None) == (section is None):
        raise ExtensionError("Choose one student or one section.")
    if (question is None) == (module is None):
        raise ExtensionError("Choose one question or one whole module.")
    if section is not None and section.course_id != course.pk:
        raise ExtensionError("That section belongs to another course.")
    if question is not None and question.module.course_id != course.pk:
        raise ExtensionError("That question belongs to another course.")
    if module is not None and module.course_id != course.pk:
        raise ExtensionError("That module belongs to another course.")
    if student is not None and not Enrollment.objects.active().filter(
        user=student, course=course, role=Role.STUDENT
    ).exists():
        raise ExtensionError(f"{student.get_username()} is not a student in this course.")


def _questions(question: Question | None, module: Module | None) -> list[Question]:
    if question is not None:
        return [question]
    questions = list(Question.objects.filter(module=module).order_by("number"))
    for q in questions:
        q.module = module
    return questions


def _students(course: Course, student, section: Section | None) -> QuerySet:
    if student is not None:
        return get_user_model().objects.filter(pk=student.pk)
    return get_user_model().objects.filter(
        enrollments__course=course, enrollments__section=section, enrollments__role=Role.STUDENT
    )


def late_flags_recompute(*, course: Course, questions: list[Question], student_ids: list[int]) -> int:
    """Set `is_late`/`late_seconds` of these students' submitted answers from their deadlines now.

    Returns how many answers changed. Per question: two queries for the deadlines, one for the
    answers, one bulk update, whatever the number of students.
    """
    changed = []
    for question in questions:
        question.module.course = course
        # Every answer of theirs locked, drafts too: a first submission in flight finishes, then is recomputed.
        responses = [
            r for r in Response.objects.select_for_update().filter(question=question, student_id__in=student_ids)
            .only("pk", "student_id", "status", "submitted_at", "is_late", "late_seconds")
            if r.status == ResponseStatus.SUBMITTED
        ]
        if not responses:
            continue
        deadlines = deadlines_for_question(question, [r.student_id for r in responses])
        for response in responses:
            seconds = deadlines[response.student_id].seconds_late(response.submitted_at)
            if (response.late_seconds, response.is_late) != (seconds, seconds is not None):
                response.late_seconds, response.is_late = seconds, seconds is not None
                changed.append(response)
    Response.objects.bulk_update(changed, ["is_late", "late_seconds"], batch_size=500)
    return len(changed)


def _record(course: Course, *, student, section, question, module, due_at, reason: str, granted_by,
            now: datetime) -> ExtensionOutcome:
    with transaction.atomic():
        extension = Extension.objects.create(
            course=course, student=student, section=section, question=question, module=module,
            due_at=due_at, reason=reason, granted_by=granted_by, created_at=now,
        )
        student_ids = list(_students(course, student, section).values_list("pk", flat=True))
        reflagged = late_flags_recompute(course=course, questions=_questions(question, module),
                                         student_ids=student_ids)
    return ExtensionOutcome(extension=extension, students=len(student_ids), reflagged=reflagged)


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ExtensionError("Give a reason: it is kept with the extension.")
    if len(reason) > REASON_MAX:
        raise ExtensionError(f"The reason is {len(reason)} characters; at most {REASON_MAX}.")
    return reason


def extension_grant(*, course: Course, granted_by, due_at: datetime, reason: str, student=None,
                    section: Section | None = None, question: Question | None = None, module: Module | None = None,
                    now: datetime | None = None) -> ExtensionOutcome:
    """Give one student or one section a new deadline for one question or a whole module."""
    _check_target(course, student=student, section=section, question=question, module=module)
    reason = _clean_reason(reason)
    if due_at is None:
        raise ExtensionError("Give the new deadline.")
    if timezone.is_naive(due_at):
        raise ExtensionError("The new deadline needs a time zone.")
    questions = _questions(question, module)
    if not questions:
        raise ExtensionError("That module has no questions yet.")
    late_opener = next((q for q in questions if q.opens_at and due_at <= q.opens_at), None)
    if late_opener is not None:
        opens = timezone.localtime(late_opener.opens_at, timezone=zoneinfo.ZoneInfo(course.time_zone))
        raise ExtensionError(f"The new deadline must be after Q{late_opener.number} opens ({opens:%Y-%m-%d %H:%M %Z}).")
    return _record(course, student=student, section=section, question=question, module=module, due_at=due_at,
                   reason=reason, granted_by=granted_by, now=now or timezone.now())


def extension_revoke(*, course: Course, granted_by, reason: str, student=None, section: Section | None = None,
                     question: Question | None = None, module: Module | None = None,
                     now: datetime | None = None) -> ExtensionOutcome:
    """Put the ordinary deadline back for one student or section on a question or module (a new row)."""
    _check_target(course, student=student, section=section, question=question, module=module)
    reason = _clean_reason(reason)
    return _record(course, student=student, section=section, question=question, module=module, due_at=None,
                   reason=reason, granted_by=granted_by, now=now or timezone.now())
