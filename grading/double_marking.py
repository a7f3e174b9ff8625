"""Double marking: a share of each question's answers graded again, blind, by a second grader; moderation.

The sample is deterministic and fair: an answer is in it when a hash of its question and pseudonym falls
below the question's share, so each answer's membership is decided on its own (it never changes as more
answers arrive or as others are graded), the instructor can list it, and nobody can steer answers in or out.

The first grade stays in Grade (what students see once released); the second is a SecondMark, which no
student page reads. When the two bands are more than MODERATION_GAP bands apart, the answer waits for an
instructor, who sets the final grade through services.grade_save (a MODERATED GradeEvent).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from courses.models import (
    STAFF_ROLES,
    Course,
    EnrollmentStatus,
    Question,
    Response,
    ResponseStatus,
    Role,
    RubricBand,
)
from grading import agreement
from grading.models import DoubleMarkingPolicy, Grade, GradeEventKind, SecondMark
from grading.selectors import _dropped_student_ids, gradable_responses, grade_of
from grading.services import GradingError, grade_check, grade_save

MODERATION_GAP = 1  # bands apart beyond which an instructor settles the final grade
SAMPLE_SCALE = 10_000  # the hash is read as a number in 0..9999, compared with share × 100


def in_sample(*, question_id: int, pseudonym: str, share: int) -> bool:
    """Whether the answer with `pseudonym` is in a `share`% double-marking sample of its question."""
    digest = hashlib.sha256(f"{question_id}:{pseudonym}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SAMPLE_SCALE < share * SAMPLE_SCALE // 100


def policy_share(question: Question) -> int:
    """The question's double-marking share in percent (0 when never set); one query."""
    return DoubleMarkingPolicy.objects.filter(question=question).values_list("share", flat=True).first() or 0


@transaction.atomic
def double_marking_set(*, question: Question, actor, share: int) -> DoubleMarkingPolicy:
    """Set the share of `question`'s answers that are double-marked (0 turns it off)."""
    if not isinstance(share, int) or isinstance(share, bool) or not 0 <= share <= 100:
        raise GradingError("The share must be a whole percentage from 0 to 100.")
    policy, _ = DoubleMarkingPolicy.objects.update_or_create(
        question=question, defaults={"share": share, "changed_by": actor, "changed_at": timezone.now()},
    )
    return policy


# Band distance -------------------------------------------------------------------------------------------------


def band_indices(bands: Iterable[RubricBand]) -> dict[int, int]:
    """band id → its index in the question's order, best first (0, 1, …), whatever the stored positions."""
    return {band.pk: index for index, band in enumerate(sorted(bands, key=lambda b: b.position))}


def band_indices_by_question(question_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    indices: dict[int, dict[int, int]] = {}
    grouped: dict[int, list[RubricBand]] = defaultdict(list)
    for band in RubricBand.objects.filter(question_id__in=list(question_ids)).order_by("question_id", "position"):
        grouped[band.question_id].append(band)
    for question_id, bands in grouped.items():
        indices[question_id] = band_indices(bands)
    return indices


# The sample and the second marker's queue ----------------------------------------------------------------------


@dataclass
class SampleRow:
    """One sampled answer as the instructor's double-marking page lists it (no grades: counts and states)."""

    response: Response
    graded: bool
    second_marked: bool
    awaiting_moderation: bool
    moderated: bool


def sample_responses(question: Question, share: int) -> list[Response]:
    """The question's submitted answers (active students) in the sample, in pseudonym order, each with its grade
    and second mark selected; one query."""
    if share <= 0:
        return []
    responses = (
        gradable_responses().filter(question=question)
        .exclude(student_id__in=_dropped_student_ids(question.module.course_id))
        .select_related("grade__band", "second_mark__band")
        .order_by("pseudonym")
    )
    return [r for r in responses if in_sample(question_id=question.pk, pseudonym=r.pseudonym, share=share)]


def awaiting_second_mark(course: Course) -> int:
    """How many graded answers of the course's double-marked questions still wait for their blind second mark;
    while any do, a TA must not see first grades across the course (the gradebook and its export). Two queries."""
    shares = dict(DoubleMarkingPolicy.objects.filter(question__module__course=course, share__gt=0)
                  .values_list("question_id", "share"))
    if not shares:
        return 0
    waiting = (Response.objects.filter(question_id__in=shares, status=ResponseStatus.SUBMITTED, grade__isnull=False,
                                       second_mark__isnull=True)
               .values_list("question_id", "pseudonym"))
    return sum(in_sample(question_id=qid, pseudonym=pseudonym, share=shares[qid]) for qid, pseudonym in waiting)


def second_mark_of(response: Response) -> SecondMark | None:
    try:
        return response.second_mark
    except SecondMark.DoesNotExist:
        return None


def _gap(grade: Grade, mark: SecondMark, indices: dict[int, int]) -> int:
    return abs(indices.get(grade.band_id, 0) - indices.get(mark.band_id, 0))


def sample_rows(question: Question, share: int) -> list[SampleRow]:
    """The instructor's view of the sample: which answers are in it and how far each has got; two queries."""
    responses = sample_responses(question, share)
    indices = band_indices_by_question([question.pk]).get(question.pk, {}) if responses else {}
    rows = []
    for response in responses:
        grade, mark = grade_of(response), second_mark_of(response)
        apart = bool(grade and mark and _gap(grade, mark, indices) > MODERATION_GAP)
        rows.append(SampleRow(
            response=response, graded=grade is not None, second_marked=mark is not None,
            awaiting_moderation=apart and mark.moderated_at is None, moderated=bool(mark and mark.moderated_at),
        ))
    return rows


def second_marking_queue(question: Question, user) -> list[Response]:
    """Sampled answers `user` may second-mark: graded by someone else and not second-marked yet; one query."""
    return [
        r for r in sample_responses(question, policy_share(question))
        if grade_of(r) is not None and grade_of(r).graded_by_id != user.pk and second_mark_of(r) is None
    ]


def response_for_second_marker(user, pk: int) -> Response:
    """A submitted, sampled answer the user may see blind; 404 unless they are staff of its course.

    The grade is not selected: nothing on the second marker's page can show it.
    """
    response = (
        gradable_responses()
        .select_related("question__module__course", "second_mark__band")
        .filter(
            pk=pk, question__module__course__enrollments__user=user,
            question__module__course__enrollments__role__in=STAFF_ROLES,
            question__module__course__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .first()
    )
    if response is None or not in_sample(
        question_id=response.question_id, pseudonym=response.pseudonym, share=policy_share(response.question)
    ):
        raise Http404("No such answer in the double-marking sample.")
    return response


def second_marker_refusal(response: Response, user) -> str:
    """Why `user` can't second-mark `response` now, or "" when they can; one query."""
    first = Grade.objects.filter(response=response).values_list("graded_by_id", flat=True).first()
    mark = second_mark_of(response)
    if mark is not None:
        return "This answer has its second mark already." if mark.grader_id != user.pk else \
            "You have second-marked this answer."
    if first is None:
        return "This answer has no first grade yet; it can be second-marked once it is graded."
    if first == user.pk:
        return "You gave this answer its first grade; a different grader marks it the second time."
    return ""


def second_mark_save(*, response_id: int, actor, band_id: int | None, score: int | None,
                     feedback: str) -> SecondMark:
    """Record `actor`'s blind second mark of a sampled, graded answer that someone else graded first."""
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",)).select_related("question")
            .filter(pk=response_id, status=ResponseStatus.SUBMITTED).first()
        )
        if response is None:
            raise GradingError("That answer does not exist or has not been submitted.")
        if not in_sample(question_id=response.question_id, pseudonym=response.pseudonym,
                         share=policy_share(response.question)):
            raise GradingError("That answer is not in the double-marking sample.")
        refusal = second_marker_refusal(response, actor)
        if refusal:
            raise GradingError(refusal)
        band, score = grade_check(question=response.question, band_id=band_id, score=score)
        return SecondMark.objects.create(
            response=response, grader=actor, band=band, score=score, points=response.question.points,
            feedback=(feedback or "").replace("\r\n", "\n").strip(),
        )


def blind_redirect(response: Response, user, role: str) -> str | None:
    """Where a TA opening the normal grading page of a sampled answer that still waits for its blind second
    mark must go instead (the second marker's page), or None; at most two queries, none without a grade
    by someone else."""
    grade = grade_of(response)
    if role != Role.TA or grade is None or grade.graded_by_id == user.pk:
        return None
    share = policy_share(response.question)
    if not share or not in_sample(question_id=response.question_id, pseudonym=response.pseudonym, share=share):
        return None
    if SecondMark.objects.filter(response=response).exists():
        return None
    return reverse("grading:second_mark", args=[response.pk])


def blind_queue_rows(question: Question, user, role: str, rows: list[dict]) -> None:
    """Hide, in a TA's queue, the first grade of sampled answers still waiting for their blind second mark
    (the row reads as ungraded, and opening it leads to the second marker's page); two queries at most."""
    if role != Role.TA or not rows:
        return
    share = policy_share(question)
    if not share:
        return
    candidates = {
        row["response"].pk for row in rows
        if row["grade"] is not None and row["grade"].graded_by_id != user.pk
        and in_sample(question_id=question.pk, pseudonym=row["response"].pseudonym, share=share)
    }
    if not candidates:
        return
    marked = set(SecondMark.objects.filter(response_id__in=candidates).values_list("response_id", flat=True))
    for row in rows:
        if row["response"].pk in candidates - marked:
            row["grade"] = None


# Moderation ----------------------------------------------------------------------------------------------------


@dataclass
class ModerationItem:
    """A double-marked answer whose two grades are more than MODERATION_GAP bands apart."""

    response: Response
    grade: Grade
    mark: SecondMark
    gap: int


def _double_marked(questions: QuerySet[Question] | list[Question]) -> QuerySet[SecondMark]:
    return (
        SecondMark.objects.filter(response__question__in=questions, response__status=ResponseStatus.SUBMITTED,
                                  response__grade__isnull=False)
        .select_related("response__question__module", "response__grade__band", "response__grade__graded_by",
                        "band", "grader", "moderated_by")
    )


def moderation_items(questions, *, resolved: bool = False) -> list[ModerationItem]:
    """Answers whose grades are too far apart: waiting ones (or, with `resolved`, settled ones); two queries."""
    marks = list(_double_marked(questions).filter(moderated_at__isnull=not resolved)
                 .order_by("response__question__module__number", "response__question__number", "response__pseudonym"))
    indices = band_indices_by_question({m.response.question_id for m in marks}) if marks else {}
    items = []
    for mark in marks:
        gap = _gap(mark.response.grade, mark, indices.get(mark.response.question_id, {}))
        if resolved or gap > MODERATION_GAP:
            items.append(ModerationItem(response=mark.response, grade=mark.response.grade, mark=mark, gap=gap))
    return items


def unmoderated_by_question(questions) -> dict[int, list[Response]]:
    """question id → its answers waiting for moderation (for the release confirmation page); two queries."""
    waiting: dict[int, list[Response]] = defaultdict(list)
    for item in moderation_items(questions):
        waiting[item.response.question_id].append(item.response)
    return dict(waiting)


def moderation_for_staff(user, pk: int) -> tuple[ModerationItem, str]:
    """The moderation item of answer `pk` and the user's staff role; 404 unless the user is staff of its course
    and the answer was double-marked."""
    mark = (
        _double_marked(Question.objects.all())
        .filter(
            response_id=pk, response__question__module__course__enrollments__user=user,
            response__question__module__course__enrollments__role__in=STAFF_ROLES,
            response__question__module__course__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .annotate(staff_role=F("response__question__module__course__enrollments__role"))
        .first()
    )
    if mark is None:
        raise Http404("No such double-marked answer.")
    indices = band_indices_by_question([mark.response.question_id]).get(mark.response.question_id, {})
    item = ModerationItem(response=mark.response, grade=mark.response.grade, mark=mark,
                          gap=_gap(mark.response.grade, mark, indices))
    return item, mark.staff_role


def moderation_resolve(*, item: ModerationItem, actor, band_id: int | None, score: int | None, feedback: str,
                       base_version: int) -> Grade:
    """Set the final grade of a double-marked answer (audited as MODERATED) and mark the disagreement settled.

    The grade goes through services.grade_save, so a stale page is a GradeConflict like anywhere else.
    """
    mark = item.mark
    if mark.moderated_at is not None:
        raise GradingError(f"{mark.moderated_by} already moderated this answer.")
    note = (f"Moderated: first {item.grade.score} {item.grade.band.label} by {item.grade.graded_by}, "
            f"second {mark.score} {mark.band.label} by {mark.grader}.")
    grade = grade_save(
        response_id=item.response.pk, actor=actor, band_id=band_id, score=score, feedback=feedback,
        base_version=base_version, kind=GradeEventKind.MODERATED, note=note,
    )
    SecondMark.objects.filter(pk=mark.pk, moderated_at__isnull=True).update(
        moderated_by=actor, moderated_at=grade.graded_at,
    )
    return grade


# Agreement -----------------------------------------------------------------------------------------------------


@dataclass
class AgreementLine:
    """Agreement of one question, or of one pair of graders over every question they both marked."""

    label: str
    result: agreement.Agreement
    apart: int = 0  # answers whose grades were more than MODERATION_GAP bands apart


@dataclass
class AgreementReport:
    questions: list[AgreementLine] = field(default_factory=list)
    pairs: list[AgreementLine] = field(default_factory=list)
    overall: AgreementLine | None = None


def agreement_pairs(course: Course) -> list[tuple]:
    """Every double-marked answer of the course as (question id, first grader, second grader, first band id,
    second band id, first score, second score); one query."""
    return list(
        SecondMark.objects.filter(response__question__module__course=course,
                                  response__status=ResponseStatus.SUBMITTED, response__grade__isnull=False)
        .order_by("response__question_id", "response__pseudonym")
        .values_list("response__question_id", "response__grade__graded_by__username", "grader__username",
                     "response__grade__band_id", "band_id", "response__grade__score", "score")
    )


def agreement_from_pairs(rows: list[tuple], indices: dict[int, dict[int, int]],
                         labels: dict[int, str]) -> AgreementReport:
    """Agreement per question (in `labels` order), per grader pair (either order) and overall."""
    groups: dict[object, list[tuple[int, int, int, int]]] = defaultdict(list)
    k_of: dict[object, int] = defaultdict(int)
    for question_id, first_grader, second_grader, first_band, second_band, first_score, second_score in rows:
        order = indices.get(question_id, {})
        k = len(order)
        values = (order.get(first_band, 0), order.get(second_band, 0), first_score, second_score)
        pair = tuple(sorted((first_grader, second_grader)))
        for key in (("q", question_id), ("p", pair), ("all",)):
            groups[key].append(values)
            k_of[key] = max(k_of[key], k)

    def line(key, label: str) -> AgreementLine:
        data = groups.get(key, [])
        columns = list(zip(*data, strict=True)) if data else [[], [], [], []]
        result = agreement.agreement(*columns, k=max(k_of.get(key, 0), 2))
        apart = sum(1 for a, b, _, _ in data if abs(a - b) > MODERATION_GAP)
        return AgreementLine(label=label, result=result, apart=apart)

    report = AgreementReport()
    report.questions = [line(("q", qid), label) for qid, label in labels.items() if ("q", qid) in groups]
    report.pairs = [line(key, f"{key[1][0]} & {key[1][1]}") for key in sorted(k for k in groups if k[0] == "p")]
    if ("all",) in groups:
        report.overall = line(("all",), "All double-marked answers")
    return report


def question_labels(course: Course) -> dict[int, str]:
    """question id → "M02 Q1. Title", in course order; one query."""
    questions = Question.objects.filter(module__course=course).select_related("module").order_by(
        "module__number", "number")
    return {q.pk: f"M{q.module.number:02d} {q}" for q in questions}


def course_agreement(course: Course) -> AgreementReport:
    """The course's agreement report: three queries (questions, bands, the double-marked pairs)."""
    labels = question_labels(course)
    rows = agreement_pairs(course)
    indices = band_indices_by_question(labels) if rows else {}
    return agreement_from_pairs(rows, indices, labels)
