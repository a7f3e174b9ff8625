"""Each student's own deadline: the question's, unless an extension for them or their section says otherwise.

Extensions are append-only; of those that apply to a student and a question (granted to the
student or to their section, for the question or for its whole module) the newest wins, and
one with no `due_at` puts the ordinary deadline back. Everything that judges or shows a
deadline to a student (submitting, late flags, penalties, "due next", reminders, release
checks) asks here, never `Question.due_at` directly.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from courses.models import Enrollment, Extension, LatePolicy, Question


@dataclass(frozen=True)
class Deadline:
    """A student's deadline for one question."""

    due_at: datetime | None
    extended: bool  # an extension set it (rather than the question)

    def is_past(self, now: datetime) -> bool:
        return self.due_at is not None and now > self.due_at

    def seconds_late(self, at: datetime) -> int | None:
        """How long after the deadline `at` is; None when not late."""
        if not self.is_past(at):
            return None
        return int((at - self.due_at).total_seconds())

    @property
    def past(self) -> bool:
        """Past now (for templates, which can't pass an argument)."""
        return self.is_past(timezone.now())


def question_deadline(question: Question) -> Deadline:
    """The question's own deadline, as staff see it."""
    return Deadline(question.due_at, extended=False)


def _applicable(extensions: Iterable[Extension], question: Question, student_id: int, section_ids: Collection[int]):
    return applicable_extension(extensions, question.pk, question.module_id, student_id, section_ids)


def applicable_extension(extensions: Iterable[Extension], question_id: int, module_id: int, student_id: int,
                         section_ids: Collection[int]) -> Extension | None:
    """Of `extensions` (newest first), the one that decides this student's deadline on this question, if any."""
    for extension in extensions:
        if extension.question_id not in (None, question_id):
            continue
        if extension.module_id not in (None, module_id):
            continue
        if extension.student_id is not None and extension.student_id != student_id:
            continue
        if extension.section_id is not None and extension.section_id not in section_ids:
            continue
        return extension
    return None


def _deadline(question: Question, extension: Extension | None) -> Deadline:
    if extension is None or extension.due_at is None:
        return Deadline(question.due_at, extended=False)
    return Deadline(extension.due_at, extended=True)


def student_extensions(student) -> QuerySet[Extension]:
    """Extensions granted to the student or to a section they are in, newest first."""
    return (
        Extension.objects.filter(Q(student=student) | Q(section__enrollments__user=student))
        .order_by("-created_at", "-id")
    )


def deadlines_for_student(student, questions: list[Question]) -> dict[int, Deadline]:
    """Question id → the student's deadline. One query: the extensions for them or their sections."""
    if not questions:
        return {}
    extensions = list(
        student_extensions(student)
        .filter(Q(question__in=questions) | Q(module_id__in={q.module_id for q in questions}))
    )
    # The query kept only sections the student is in (Enrollment.section: one per course).
    sections = {e.section_id for e in extensions if e.section_id is not None}
    return {q.pk: _deadline(q, _applicable(extensions, q, student.pk, sections)) for q in questions}


def deadline_for_student(student, question: Question) -> Deadline:
    return deadlines_for_student(student, [question])[question.pk]


def deadlines_for_question(question: Question, student_ids: Iterable[int]) -> dict[int, Deadline]:
    """Student id → deadline for one question across many students. Two queries whatever their number."""
    student_ids = list(student_ids)
    course_id = question.module.course_id
    sections = dict(
        Enrollment.objects.filter(course_id=course_id, user_id__in=student_ids).values_list("user_id", "section_id")
    )
    extensions = list(
        Extension.objects.filter(course_id=course_id)
        .filter(Q(question=question) | Q(module_id=question.module_id))
        .order_by("-created_at", "-id")
    )
    return {
        sid: _deadline(question, _applicable(extensions, question, sid, {sections.get(sid)} - {None}))
        for sid in student_ids
    }


class AnswerWindow(models.TextChoices):
    """Where a question stands for one student now: the one statement of "open", "closed" and "accepts answers"."""

    NOT_OPEN = "not_open", "Not open yet"
    OPEN = "open", "Open"
    LATE = "late", "Past the deadline, still taking late answers"
    CLOSED = "closed", "Closed"

    @property
    def accepts_answers(self) -> bool:
        return self in (AnswerWindow.OPEN, AnswerWindow.LATE)


def answer_window(question: Question, deadline: Deadline, now: datetime) -> AnswerWindow:
    """Not open before `opens_at`; open until the student's deadline; then late or closed by the late policy."""
    if not question.is_open(now):
        return AnswerWindow.NOT_OPEN
    if not deadline.is_past(now):
        return AnswerWindow.OPEN
    return AnswerWindow.CLOSED if question.late_policy == LatePolicy.REJECT else AnswerWindow.LATE


def accepts_answer(question: Question, deadline: Deadline, now: datetime) -> bool:
    """Open, and either before the student's deadline or under a policy that takes late work."""
    return answer_window(question, deadline, now).accepts_answers


def days_late(late_seconds: int | None) -> int:
    """Started days late: a minute late is one day, 24 hours and a second is two."""
    return math.ceil(late_seconds / 86_400) if late_seconds else 0


def penalty_percent(question: Question, late_seconds: int | None) -> int:
    """Percent off a late answer's score: per started day late, up to the cap; 0 unless the policy is a penalty.

    `question` may be anything with `late_policy`, `late_penalty_per_day` and `late_penalty_cap`.
    """
    if question.late_policy != LatePolicy.PENALTY or not late_seconds:
        return 0
    return min(question.late_penalty_cap, days_late(late_seconds) * question.late_penalty_per_day)


def penalised_score(score: int, percent: int) -> Decimal:
    """The score after the penalty, to two decimals (7 with 10 % off is 6.30)."""
    kept = Decimal(score) * (100 - percent) / 100
    return kept.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LateScore:
    """A score with its late penalty: both kept, the penalty derived from the answer's lateness and the policy."""

    score: int
    percent: int
    days: int
    penalised: Decimal

    @property
    def penalised_display(self) -> str:
        return format_score(self.penalised)


def late_score(question: Question, late_seconds: int | None, score: int) -> LateScore:
    percent = penalty_percent(question, late_seconds)
    return LateScore(score=score, percent=percent, days=days_late(late_seconds) if percent else 0,
                     penalised=penalised_score(score, percent))


def format_score(value: Decimal | int) -> str:
    """6.30 stays "6.30"; 7.00 is "7"."""
    value = Decimal(value)
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"
