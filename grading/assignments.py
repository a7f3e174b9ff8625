"""Grading teams: which TA grades which answer, and how far each has got.

Services (`assignments_*`) write every assignment of one action in one transaction, recording
who assigned and when; selectors read loads and progress with the course in the query.
Answers of dropped students are never assigned.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from courses.models import (
    STAFF_ROLES,
    Course,
    Enrollment,
    EnrollmentStatus,
    Question,
    Response,
    ResponseStatus,
    Role,
)
from grading.models import GradingAssignment
from grading.selectors import gradable_responses

User = get_user_model()


class AssignmentScope:
    """Which of a question's answers an assignment action takes."""

    UNASSIGNED = "unassigned"
    ALL = "all"
    CHOICES = [(UNASSIGNED, "Only answers not assigned yet"), (ALL, "All submitted answers (moves assigned ones too)")]


class AssignmentError(Exception):
    """An assignment refused with a message fit to show the instructor; nothing was written."""


@dataclass
class AssignmentResult:
    """What one assignment action did: answers per grader id, and how many fell back to round-robin."""

    per_grader: Counter = field(default_factory=Counter)
    fallback: int = 0

    @property
    def assigned(self) -> int:
        return sum(self.per_grader.values())


# Selectors -------------------------------------------------------------------------------------------------------


def course_graders(course: Course) -> QuerySet:
    """Active TAs and instructors of `course` (TAs first, then by username), each with `course_role` and
    `section_id` of their enrollment: everyone who may be given answers. One query."""
    return (
        User.objects.filter(
            enrollments__course=course, enrollments__role__in=STAFF_ROLES,
            enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .annotate(course_role=F("enrollments__role"), section_id=F("enrollments__section_id"))
        # "ta" sorts after "instructor", so descending puts TAs first.
        .order_by("-course_role", "username")
    )


def _active_student_answers(question: Question) -> QuerySet[Response]:
    """Submitted answers to `question` whose author is an active student of its course."""
    active = Enrollment.objects.filter(
        user=OuterRef("student"), course_id=question.module.course_id, role=Role.STUDENT,
        status=EnrollmentStatus.ACTIVE,
    )
    return gradable_responses().filter(question=question).filter(Exists(active))


def question_loads(question: Question) -> dict[int, dict[str, int]]:
    """grader id → {"assigned", "graded", "left"} for one question's submitted answers. One query."""
    rows = (
        GradingAssignment.objects.filter(response__in=gradable_responses().filter(question=question))
        .values("grader_id")
        .annotate(assigned=Count("id"), graded=Count("response__grade"))
    )
    return {
        r["grader_id"]: {"assigned": r["assigned"], "graded": r["graded"], "left": r["assigned"] - r["graded"]}
        for r in rows
    }


def unassigned_count(question: Question) -> int:
    """Submitted answers of active students with nobody assigned. One query."""
    return _active_student_answers(question).filter(assignment__isnull=True).count()


def course_questions_summary(course: Course, user) -> list[Question]:
    """The course's questions in order, each with `submitted` (active students' answers), `assigned`,
    `unassigned`, and `mine` / `mine_graded` (assigned to `user`). Two queries: the questions, and
    the answers counted per question (grouped over the answers, not joined onto the questions,
    so it stays one pass over the course's answers at 48,000 of them)."""
    active = Enrollment.objects.filter(course=course, role=Role.STUDENT, status=EnrollmentStatus.ACTIVE)
    counts = {
        row["question_id"]: row
        for row in Response.objects.filter(
            question__module__course=course, status=ResponseStatus.SUBMITTED,
            student_id__in=active.values("user_id"),
        )
        .values("question_id")
        .annotate(
            submitted=Count("id"),
            assigned=Count("assignment"),
            mine=Count("assignment", filter=Q(assignment__grader=user)),
            mine_graded=Count("grade", filter=Q(assignment__grader=user)),
        )
        .order_by()
    }
    questions = list(
        Question.objects.filter(module__course=course).select_related("module").order_by("module__number", "number")
    )
    empty = {"submitted": 0, "assigned": 0, "mine": 0, "mine_graded": 0}
    for question in questions:
        row = counts.get(question.pk, empty)
        for name in empty:
            setattr(question, name, row[name])
        question.unassigned = question.submitted - question.assigned
    return questions


def question_answers(question: Question) -> QuerySet[Response]:
    """Active students' submitted answers to `question` in pseudonym order, with grade and assigned grader."""
    return (
        _active_student_answers(question)
        .select_related("grade", "assignment__grader")
        .order_by("pseudonym")
        .defer("text", "submitted_text")
    )


@dataclass
class GraderProgress:
    """One grader's assigned answers in a course: how many, how many graded, how many left."""

    grader: object
    assigned: int
    graded: int
    behind: bool = False

    @property
    def left(self) -> int:
        return self.assigned - self.graded

    @property
    def pace(self) -> float:
        """Share of the assigned answers graded, 0..1 (1 when nothing is assigned)."""
        return self.graded / self.assigned if self.assigned else 1.0

    @property
    def percent(self) -> int:
        return round(self.pace * 100)


def mark_behind(progress: list[GraderProgress]) -> list[GraderProgress]:
    """Flag graders behind the team: work left and a pace (graded ÷ assigned) below the team's median pace.

    Relative, not absolute: a TA given 80 answers who graded 40 is level with one given 20 who graded 10.
    With one grader there is no team to be behind.
    """
    loaded = [p for p in progress if p.assigned]
    if len(loaded) < 2:
        return progress
    median = statistics.median(p.pace for p in loaded)
    for p in loaded:
        p.behind = p.left > 0 and p.pace < median
    return progress


def course_progress(course: Course) -> list[GraderProgress]:
    """Every active TA of the course, and any instructor with assigned answers, with their progress. One query.

    Counts only submitted answers, on any question of the course.
    """
    in_course = Q(
        grading_assignments__response__question__module__course=course,
        grading_assignments__response__status="submitted",
    )
    graders = (
        course_graders(course)
        .annotate(
            assigned=Count("grading_assignments", filter=in_course),
            graded=Count("grading_assignments__response__grade", filter=in_course),
        )
        .filter(Q(course_role=Role.TA) | Q(assigned__gt=0))
    )
    return mark_behind([GraderProgress(grader=g, assigned=g.assigned, graded=g.graded) for g in graders])


# Services --------------------------------------------------------------------------------------------------------


def _targets(question: Question, scope: str) -> list[Response]:
    """The answers an action takes, in pseudonym order, with each student's section; one query."""
    if scope not in (AssignmentScope.UNASSIGNED, AssignmentScope.ALL):
        raise AssignmentError("Choose whether to assign only unassigned answers or all of them.")
    section = Enrollment.objects.filter(
        user=OuterRef("student"), course_id=question.module.course_id,
    ).values("section_id")[:1]
    answers = _active_student_answers(question).annotate(student_section=section).order_by("pseudonym")
    if scope == AssignmentScope.UNASSIGNED:
        answers = answers.filter(assignment__isnull=True)
    return list(answers.only("pk", "pseudonym", "student_id"))


def _check_graders(course: Course, graders: Sequence) -> list:
    """The graders in a stable order, refusing anyone who is not active staff of the course."""
    if not graders:
        raise AssignmentError("Choose at least one grader.")
    allowed = {g.pk: g for g in course_graders(course)}
    strangers = [g for g in graders if g.pk not in allowed]
    if strangers:
        raise AssignmentError(f"{strangers[0]} is not a TA or instructor of this course.")
    return sorted({g.pk: allowed[g.pk] for g in graders}.values(), key=lambda g: (g.course_role != Role.TA, g.username))


def _write(pairs: list[tuple[int, int]], actor) -> None:
    """Upsert (response id, grader id) pairs in one statement, stamped with who assigned them and when."""
    if not pairs:
        return
    now = timezone.now()
    GradingAssignment.objects.bulk_create(
        [GradingAssignment(response_id=r, grader_id=g, assigned_by=actor, assigned_at=now) for r, g in pairs],
        update_conflicts=True, unique_fields=["response"], update_fields=["grader", "assigned_by", "assigned_at"],
    )


def _balanced(answers: list[int], graders: list[int], loads: dict[int, int]) -> list[tuple[int, int]]:
    """Give each answer, in order, to the grader with the fewest so far (ties: the graders' order)."""
    loads = {g: loads.get(g, 0) for g in graders}
    order = {g: i for i, g in enumerate(graders)}
    pairs = []
    for answer in answers:
        grader = min(graders, key=lambda g: (loads[g], order[g]))
        loads[grader] += 1
        pairs.append((answer, grader))
    return pairs


def _existing_loads(question: Question, scope: str) -> dict[int, int]:
    """Answers already assigned per grader that the action keeps (none when it re-assigns all)."""
    if scope == AssignmentScope.ALL:
        return {}
    return {g: load["assigned"] for g, load in question_loads(question).items()}


@transaction.atomic
def assignments_round_robin(*, question: Question, actor, graders: Sequence, scope: str) -> AssignmentResult:
    """Share the answers between `graders` as evenly as possible, in pseudonym order (a fair shuffle)."""
    graders = _check_graders(question.module.course, graders)
    answers = _targets(question, scope)
    ids = [g.pk for g in graders]
    pairs = _balanced([a.pk for a in answers], ids, _existing_loads(question, scope))
    _write(pairs, actor)
    return AssignmentResult(per_grader=Counter(g for _, g in pairs))


@transaction.atomic
def assignments_by_section(*, question: Question, actor, scope: str) -> AssignmentResult:
    """Each answer to a TA of its student's section (shared evenly within the section); answers of students
    whose section has no TA, or who have no section, go round-robin to all the course's TAs."""
    tas = [g for g in course_graders(question.module.course) if g.course_role == Role.TA]
    if not tas:
        raise AssignmentError("This course has no TAs to assign answers to.")
    by_section: dict[int, list[int]] = defaultdict(list)
    for ta in tas:
        if ta.section_id is not None:
            by_section[ta.section_id].append(ta.pk)
    answers = _targets(question, scope)
    loads = _existing_loads(question, scope)
    grouped: dict[int | None, list[int]] = defaultdict(list)
    leftover: list[int] = []
    for answer in answers:
        if answer.student_section in by_section:
            grouped[answer.student_section].append(answer.pk)
        else:
            leftover.append(answer.pk)
    pairs: list[tuple[int, int]] = []
    for section_id, section_answers in grouped.items():
        pairs += _balanced(section_answers, by_section[section_id], loads)
    loads = Counter(loads)
    loads.update(g for _, g in pairs)
    pairs += _balanced(leftover, [t.pk for t in tas], loads)
    _write(pairs, actor)
    return AssignmentResult(per_grader=Counter(g for _, g in pairs), fallback=len(leftover))


@transaction.atomic
def assignments_by_hand(*, question: Question, actor, response_ids: Sequence[int], grader) -> AssignmentResult:
    """Give the chosen answers of `question` to one grader (re-assigning any that were someone else's)."""
    (grader,) = _check_graders(question.module.course, [grader])
    wanted = set(response_ids)
    if not wanted:
        raise AssignmentError("Choose at least one answer to assign.")
    found = set(_active_student_answers(question).filter(pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise AssignmentError("Some chosen answers are not submitted answers to this question; reload the page.")
    _write([(pk, grader.pk) for pk in sorted(found)], actor)
    return AssignmentResult(per_grader=Counter({grader.pk: len(found)}))


@transaction.atomic
def assignments_reassign(*, course: Course, actor, from_grader, to_graders: Sequence,
                         include_graded: bool = False) -> AssignmentResult:
    """Move one grader's assigned answers in the course (e.g. a TA who left) evenly to others.

    Only answers not graded yet move unless `include_graded`: what the leaving TA graded stays theirs,
    so progress keeps saying who did it.
    """
    to_graders = _check_graders(course, to_graders)
    if any(g.pk == from_grader.pk for g in to_graders):
        raise AssignmentError("Choose graders other than the one whose answers move.")
    mine = (
        GradingAssignment.objects.select_for_update(of=("self",))
        .filter(grader=from_grader, response__question__module__course=course)
        .order_by("response__question__module__number", "response__question__number", "response__pseudonym")
    )
    if not include_graded:
        mine = mine.filter(response__grade__isnull=True)
    moving = list(mine.values_list("response_id", "response__question_id"))
    if not moving:
        raise AssignmentError(f"{from_grader} has no {'' if include_graded else 'ungraded '}answers to move.")
    # Balance per question, so each question's split stays even too.
    per_question: dict[int, list[int]] = defaultdict(list)
    for response_id, question_id in moving:
        per_question[question_id].append(response_id)
    loads = Counter(
        dict(
            GradingAssignment.objects.filter(
                grader__in=to_graders, response__question__module__course=course, response__grade__isnull=True,
            ).values("grader_id").annotate(n=Count("id")).values_list("grader_id", "n")
        )
    )
    ids = [g.pk for g in to_graders]
    pairs: list[tuple[int, int]] = []
    for answers in per_question.values():
        chunk = _balanced(answers, ids, loads)
        loads.update(g for _, g in chunk)
        pairs += chunk
    _write(pairs, actor)
    return AssignmentResult(per_grader=Counter(g for _, g in pairs))
