"""Reads with the user in the query: a course, module, question or response the user may not see is a 404.

A draft module (`Module.is_published` off) and its questions exist only for the course's staff:
every read here that a student reaches leaves them out, so for a student they are a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from courses.deadlines import (
    AnswerWindow,
    Deadline,
    accepts_answer,
    answer_window,
    deadlines_for_student,
    question_deadline,
    student_extensions,
)
from courses.models import STAFF_ROLES, Enrollment, EnrollmentStatus, LatePolicy, Module, Question, Response, Role
from courses.signals import student_grades_wanted


def enrollments_for(user) -> QuerySet[Enrollment]:
    """The user's enrollments with their courses and the modules each may see, drafts for staff (one query)."""
    visible = Q(course__modules__is_published=True) | Q(role__in=STAFF_ROLES)
    return (
        Enrollment.objects.active().filter(user=user)
        .select_related("course")
        .annotate(module_count=Count("course__modules", filter=visible, distinct=True))
        .order_by("course__title")
    )


def due_soon_for_student(user, now: datetime, limit: int = 8) -> list[Question]:
    """Open questions the user still has to submit, soonest own deadline first (two queries).

    Each question carries `has_draft`, `deadline` (the student's own, from courses.deadlines) and
    `overdue` (past that deadline but still taking late work, so it is listed, marked late).
    Candidates are the questions due from now on, those whose policy takes late work, and those
    with any extension for the user or their section (which may move the deadline either way);
    their deadlines then decide.
    """
    mine = Response.objects.filter(student=user, question=OuterRef("pk"))
    extended = student_extensions(user).filter(Q(question=OuterRef("pk")) | Q(module=OuterRef("module")))
    candidates = list(
        Question.objects.filter(
            module__course__enrollments__user=user,
            module__course__enrollments__role=Role.STUDENT,
            module__course__enrollments__status=EnrollmentStatus.ACTIVE,
            module__is_published=True,
        )
        .filter(Q(due_at__gte=now) | ~Q(late_policy=LatePolicy.REJECT) | Exists(extended))
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(~Exists(mine.filter(status="submitted")))
        .annotate(has_draft=Exists(mine.exclude(text="")))
        .select_related("module__course")
        .order_by("due_at", "module__number", "number")
    )
    deadlines = deadlines_for_student(user, candidates)
    due = []
    for question in candidates:
        question.deadline = deadline = deadlines[question.pk]
        if deadline.due_at is None or not accepts_answer(question, deadline, now):
            continue
        question.overdue = deadline.is_past(now)
        due.append(question)
    due.sort(key=lambda q: (q.deadline.due_at, q.module.number, q.number))
    return due[:limit]


def get_enrollment(user, course_slug: str) -> Enrollment:
    """The user's enrollment in the course, or 404 (one query)."""
    return get_object_or_404(Enrollment.objects.active().select_related("course"), user=user, course__slug=course_slug)


def get_module_for_member(user, course_slug: str, module_slug: str) -> tuple[Module, Enrollment]:
    """A module of a course the user is enrolled in, drafts for staff only, or 404 (two queries)."""
    enrollment = get_enrollment(user, course_slug)
    modules = Module.objects.all() if enrollment.role in STAFF_ROLES else Module.objects.filter(is_published=True)
    module = get_object_or_404(modules, course=enrollment.course, slug=module_slug)
    module.course = enrollment.course
    return module, enrollment


def get_question_for_member(user, pk: int) -> tuple[Question, Enrollment]:
    """A question of a course the user is enrolled in, of a draft module for staff only, or 404 (two queries)."""
    # One filter() call, so both conditions are about the same enrollment row.
    question = get_object_or_404(
        Question.objects.select_related("module__course").filter(
            Q(module__is_published=True) | Q(module__course__enrollments__role__in=STAFF_ROLES),
            module__course__enrollments__user=user,
            module__course__enrollments__status=EnrollmentStatus.ACTIVE,
        ),
        pk=pk,
    )
    enrollment = Enrollment.objects.get(user=user, course_id=question.module.course_id)
    return question, enrollment


def get_response_for_student(user, pk: int) -> Response:
    """The user's own response, or 404 (one query)."""
    return get_object_or_404(
        Response.objects.select_related("question__module__course"),
        pk=pk,
        student=user,
        question__module__is_published=True,
        question__module__course__enrollments__user=user,
        question__module__course__enrollments__role=Role.STUDENT,
        question__module__course__enrollments__status=EnrollmentStatus.ACTIVE,
    )


class QuestionStatus(models.TextChoices):
    """A question's state for one student, as lists and badges show it."""

    NOT_STARTED = "not started", "Not started"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    LATE = "late", "Submitted late"
    GRADED = "graded", "Graded"
    CLOSED = "closed", "Closed"
    NOT_OPEN = "not open yet", "Not open yet"


@dataclass
class QuestionRow:
    """A question as one student sees it in a list."""

    question: Question
    response: Response | None
    grade: object | None
    status: str
    has_unsubmitted_changes: bool
    deadline: Deadline


def question_status(question: Question, response: Response | None, grade, now: datetime,
                    deadline: Deadline | None = None) -> str:
    if grade is not None:
        return QuestionStatus.GRADED
    if response is not None and response.is_submitted:
        return QuestionStatus.LATE if response.is_late else QuestionStatus.SUBMITTED
    window = answer_window(question, deadline or question_deadline(question), now)
    if window == AnswerWindow.NOT_OPEN:
        return QuestionStatus.NOT_OPEN
    if window == AnswerWindow.CLOSED:
        return QuestionStatus.CLOSED
    if response is not None and response.text.strip():
        return QuestionStatus.DRAFT
    return QuestionStatus.NOT_STARTED


def question_rows_for_student(student, questions: list[Question], now: datetime) -> list[QuestionRow]:
    """Status rows for a student over a list of questions, each with the student's own deadline
    (three queries whatever their number: responses, released grades, extensions)."""
    responses = {
        r.question_id: r
        for r in Response.objects.filter(student=student, question__in=questions)
    }
    grades = {}
    for _receiver, released in student_grades_wanted.send(sender=Response, student=student, questions=questions):
        grades.update(released)
    deadlines = deadlines_for_student(student, questions)
    rows = []
    for question in questions:
        response = responses.get(question.pk)
        grade = grades.get(question.pk)
        question.deadline = deadline = deadlines[question.pk]
        rows.append(
            QuestionRow(
                question=question,
                response=response,
                grade=grade,
                status=question_status(question, response, grade, now, deadline),
                has_unsubmitted_changes=bool(response and response.has_unsubmitted_changes),
                deadline=deadline,
            )
        )
    return rows


def modules_with_question_counts(course, enrollment: Enrollment | None = None) -> QuerySet[Module]:
    """The course's modules, each with `question_count` and `next_due` (one query).

    Drafts are included only when `enrollment` is a staff one, so a caller that doesn't say who
    is looking shows students' view.
    """
    from django.db.models import Min
    from django.utils import timezone

    modules = course.modules.all()
    if enrollment is None or enrollment.role not in STAFF_ROLES:
        modules = modules.filter(is_published=True)
    return modules.annotate(
        question_count=Count("questions"),
        next_due=Min("questions__due_at", filter=Q(questions__due_at__gte=timezone.now())),
    ).order_by("number")


def next_due_for_student(user, modules: list[Module], now: datetime) -> None:
    """Set each module's `next_due` (and `next_due_extended`) from the student's own deadlines (two queries:
    the modules' questions, the student's extensions)."""
    questions = list(Question.objects.filter(module__in=modules).only("id", "module_id", "due_at"))
    deadlines = deadlines_for_student(user, questions)
    for module in modules:
        upcoming = [deadlines[q.pk] for q in questions
                    if q.module_id == module.pk and deadlines[q.pk].due_at and deadlines[q.pk].due_at >= now]
        soonest = min(upcoming, key=lambda d: d.due_at, default=None)
        module.next_due = soonest.due_at if soonest else None
        module.next_due_extended = bool(soonest and soonest.extended)


def get_course_for_manager(user, course_slug: str) -> tuple[Enrollment, bool]:
    """The course's staff enrollment and whether it may change things (instructors may; TAs read).

    Students, dropped staff and strangers get a 404 (one query).
    """
    enrollment = get_object_or_404(
        Enrollment.objects.active().select_related("course"),
        user=user, course__slug=course_slug, role__in=(Role.TA, Role.INSTRUCTOR),
    )
    return enrollment, enrollment.role == Role.INSTRUCTOR
