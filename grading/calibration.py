"""Calibration: graders grade a question's exemplars before its queue opens to them, then see how far off they were.

An instructor picks EXEMPLARS_MIN to EXEMPLARS_MAX answers of a question and gives each a reference grade.
Once a question has at least EXEMPLARS_MIN of them, a TA's queue and grading pages for it stay closed
until the TA has graded every exemplar. Calibration grades are CalibrationAttempts: they never touch
the student's Grade. Exemplars are shown anonymised ("Exemplar 2 of 4"), never by pseudonym.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse

from courses.models import STAFF_ROLES, Course, EnrollmentStatus, Question, Response, ResponseStatus, Role
from grading.models import CalibrationAttempt, CalibrationExemplar
from grading.services import GradingError, grade_check

EXEMPLARS_MIN = 3
EXEMPLARS_MAX = 5


def exemplars_of(question: Question) -> list[CalibrationExemplar]:
    """The question's exemplars in the order graders meet them, with answer and reference band; one query."""
    return list(
        CalibrationExemplar.objects.filter(question=question).select_related("response", "band")
        .order_by("created_at", "id")
    )


def calibration_pending(question: Question, user) -> int:
    """How many exemplars `user` must still grade before `question`'s queue opens (0 below EXEMPLARS_MIN
    exemplars: no calibration round then); one query."""
    counts = CalibrationExemplar.objects.filter(question=question).aggregate(
        total=Count("id", distinct=True),
        done=Count("attempts", filter=Q(attempts__grader=user), distinct=True),
    )
    if counts["total"] < EXEMPLARS_MIN:
        return 0
    return counts["total"] - counts["done"]


def calibration_gate(question: Question, user, role: str) -> str | None:
    """The calibration page a TA must go to before grading `question`, or None when the queue is open to them.

    Instructors set the references, so the round is for TAs only. One query for a TA, none otherwise.
    """
    if role != Role.TA or not calibration_pending(question, user):
        return None
    return reverse("grading:calibration", args=[question.pk])


# Instructor: picking exemplars ---------------------------------------------------------------------------------


@transaction.atomic
def exemplar_add(*, question: Question, actor, response_id: int, band_id: int | None,
                 score: int | None) -> CalibrationExemplar:
    """Make one of `question`'s submitted answers an exemplar with a reference grade (at most EXEMPLARS_MAX)."""
    Question.objects.select_for_update().filter(pk=question.pk).first()  # serialise adds to one question
    if CalibrationExemplar.objects.filter(question=question).count() >= EXEMPLARS_MAX:
        raise GradingError(f"A question has at most {EXEMPLARS_MAX} exemplars; remove one first.")
    response = Response.objects.filter(pk=response_id, question=question, status=ResponseStatus.SUBMITTED).first()
    if response is None:
        raise GradingError("That answer is not a submitted answer to this question.")
    if CalibrationExemplar.objects.filter(response=response).exists():
        raise GradingError("That answer is an exemplar already.")
    band, score = grade_check(question=question, band_id=band_id, score=score)
    return CalibrationExemplar.objects.create(question=question, response=response, band=band, score=score,
                                              chosen_by=actor)


@transaction.atomic
def exemplar_remove(*, exemplar: CalibrationExemplar, actor) -> None:
    """Take an exemplar out of the round; refused once anyone has graded it (their attempt is kept)."""
    if CalibrationAttempt.objects.filter(exemplar=exemplar).exists():
        raise GradingError("Graders have calibrated on this exemplar already; it stays, so their results do too.")
    exemplar.delete()


def exemplar_for_staff(user, pk: int, *, instructor: bool = False) -> CalibrationExemplar:
    """An exemplar with its question, course, answer and reference band; 404 unless the user is staff (or, with
    `instructor`, an instructor) of its course."""
    roles = [Role.INSTRUCTOR] if instructor else STAFF_ROLES
    exemplar = (
        CalibrationExemplar.objects.select_related("question__module__course", "response", "band")
        .filter(pk=pk, question__module__course__enrollments__user=user,
                question__module__course__enrollments__role__in=roles,
                question__module__course__enrollments__status=EnrollmentStatus.ACTIVE)
        .first()
    )
    if exemplar is None:
        raise Http404("No such exemplar.")
    return exemplar


# Grader: the round ---------------------------------------------------------------------------------------------


@dataclass
class RoundItem:
    """One exemplar in a grader's round: its number, and their attempt once made."""

    number: int
    exemplar: CalibrationExemplar
    attempt: CalibrationAttempt | None

    @property
    def error(self) -> int | None:
        return None if self.attempt is None else abs(self.attempt.score - self.exemplar.score)

    @property
    def same_band(self) -> bool:
        return self.attempt is not None and self.attempt.band_id == self.exemplar.band_id


@dataclass
class Round:
    items: list[RoundItem]

    @property
    def done(self) -> bool:
        return bool(self.items) and all(item.attempt is not None for item in self.items)

    @property
    def active(self) -> bool:
        return len(self.items) >= EXEMPLARS_MIN

    @property
    def next_item(self) -> RoundItem | None:
        return next((item for item in self.items if item.attempt is None), None)

    @property
    def mean_error(self) -> float | None:
        errors = [item.error for item in self.items if item.error is not None]
        return sum(errors) / len(errors) if errors else None


def calibration_round(question: Question, user) -> Round:
    """`user`'s round on `question`: every exemplar, numbered, with their attempt; two queries."""
    exemplars = exemplars_of(question)
    attempts = {
        a.exemplar_id: a for a in
        CalibrationAttempt.objects.filter(exemplar__question=question, grader=user).select_related("band")
    }
    return Round([RoundItem(number, e, attempts.get(e.pk)) for number, e in enumerate(exemplars, start=1)])


def calibration_attempt_save(*, exemplar: CalibrationExemplar, grader, band_id: int | None,
                             score: int | None) -> CalibrationAttempt:
    """Record `grader`'s grade of an exemplar, once; the student's own grade is not touched."""
    band, score = grade_check(question=exemplar.question, band_id=band_id, score=score)
    try:
        with transaction.atomic():
            return CalibrationAttempt.objects.create(exemplar=exemplar, grader=grader, band=band, score=score)
    except IntegrityError:
        raise GradingError("You have graded this exemplar already; your first grade counts.") from None


def calibration_errors(course: Course) -> dict[str, tuple[int, float]]:
    """username → (exemplars graded, mean absolute difference from the reference scores) over the course; one query."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        CalibrationAttempt.objects.filter(exemplar__question__module__course=course)
        .values_list("grader__username", "score", "exemplar__score")
    )
    for username, score, reference in rows:
        totals[username][0] += 1
        totals[username][1] += abs(score - reference)
    return {username: (n, total / n) for username, (n, total) in totals.items()}


def exemplar_errors(exemplars: list[CalibrationExemplar]) -> dict[int, tuple[int, float]]:
    """exemplar id → (graders who graded it, their mean absolute difference from the reference); one query."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    references = {e.pk: e.score for e in exemplars}
    for exemplar_id, score in CalibrationAttempt.objects.filter(exemplar_id__in=list(references)).values_list(
            "exemplar_id", "score"):
        totals[exemplar_id][0] += 1
        totals[exemplar_id][1] += abs(score - references[exemplar_id])
    return {pk: (n, total / n) for pk, (n, total) in totals.items()}
