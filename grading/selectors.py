"""Reads of grades with permission logic: every staff lookup puts the user in the query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from courses.deadlines import late_score
from courses.models import (
    STAFF_ROLES,
    Course,
    Enrollment,
    EnrollmentStatus,
    Module,
    Question,
    Response,
    ResponseStatus,
    Role,
    RubricCriterion,
    RubricKind,
    RubricVersion,
)
from grading.models import (
    Comment,
    Grade,
    GradeEvent,
    GradeRelease,
    GradingAssignment,
    GradingLease,
    NameReveal,
    RegradeRequest,
    RegradeStatus,
)


def _staff_enrollments(user):
    return Enrollment.objects.active().filter(user=user, role__in=STAFF_ROLES)


def course_for_staff(user, slug: str) -> tuple[Course, str]:
    """The course and the user's staff role in it; 404 unless the user is its TA or instructor."""
    enrollment = (
        _staff_enrollments(user).select_related("course").filter(course__slug=slug).first()
    )
    if enrollment is None:
        raise Http404("No such course.")
    return enrollment.course, enrollment.role


def question_for_staff(user, pk: int) -> tuple[Question, str]:
    """The question (with module and course) and the user's staff role; 404 for anyone else."""
    question = (
        Question.objects.select_related("module__course")
        .filter(pk=pk, module__course__enrollments__user=user, module__course__enrollments__role__in=STAFF_ROLES,
                module__course__enrollments__status=EnrollmentStatus.ACTIVE)
        .annotate(staff_role=F("module__course__enrollments__role"))
        .first()
    )
    if question is None:
        raise Http404("No such question.")
    return question, question.staff_role


def question_for_instructor(user, pk: int, refusal: str) -> Question:
    """The question if the user teaches its course; a TA gets a 403 saying `refusal`, anyone else a 404."""
    question, role = question_for_staff(user, pk)
    if not is_instructor(role):
        raise PermissionDenied(refusal)
    return question


def module_for_staff(user, course_slug: str, module_slug: str) -> tuple[Module, str]:
    """The module and the user's staff role in its course; 404 for anyone else."""
    module = (
        Module.objects.select_related("course")
        .filter(
            course__slug=course_slug, slug=module_slug,
            course__enrollments__user=user, course__enrollments__role__in=STAFF_ROLES,
            course__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .annotate(staff_role=F("course__enrollments__role"))
        .first()
    )
    if module is None:
        raise Http404("No such module.")
    return module, module.staff_role


def gradable_responses() -> QuerySet[Response]:
    """Submitted responses only: drafts never reach a grader."""
    return Response.objects.filter(status=ResponseStatus.SUBMITTED)


def response_for_staff(user, pk: int) -> tuple[Response, str]:
    """A submitted response with its question, module, course, grade, lease and regrade request.

    404 unless the user is staff of the response's course. Nothing on the result
    queries again except `question.bands` and `question.bank_comments`.
    """
    response = (
        gradable_responses()
        .select_related(
            "question__module__course", "grade__band", "grade__graded_by", "lease__holder",
            "regrade_request__answered_by", "question__release",
        )
        .filter(
            pk=pk,
            question__module__course__enrollments__user=user,
            question__module__course__enrollments__role__in=STAFF_ROLES,
            question__module__course__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .annotate(staff_role=F("question__module__course__enrollments__role"))
        .first()
    )
    if response is None:
        raise Http404("No such response.")
    return response, response.staff_role


def regrade_for_staff(user, pk: int) -> RegradeRequest:
    """A regrade request with its response and grade; 404 unless the user is staff of its course."""
    regrade = (
        RegradeRequest.objects.select_related("response__question__module__course", "response__grade__band")
        .filter(
            pk=pk,
            response__question__module__course__enrollments__user=user,
            response__question__module__course__enrollments__role__in=STAFF_ROLES,
            response__question__module__course__enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .first()
    )
    if regrade is None:
        raise Http404("No such regrade request.")
    return regrade


def response_for_student(user, pk: int) -> Response:
    """The user's own response, with its question and course; 404 for anyone else's, and in a draft module."""
    response = (
        Response.objects.select_related("question__module__course")
        .filter(pk=pk, student=user, question__module__course__enrollments__user=user,
                question__module__course__enrollments__status=EnrollmentStatus.ACTIVE,
                question__module__is_published=True)
        .first()
    )
    if response is None:
        raise Http404("No such response.")
    return response


def is_instructor(role: str) -> bool:
    """Only instructors release grades; TAs grade."""
    return role == Role.INSTRUCTOR


# Course overview -------------------------------------------------------------------------------------------------

def flagged(prefix: str = "") -> Q:
    """Flagged grades (grading.models.Grade.flagged_q), for every page that counts or marks them.

    `prefix` is the path from the queried model to the response: "" on responses, "responses__" on questions.
    """
    return Grade.flagged_q(prefix)


_SUBMITTED = Q(responses__status=ResponseStatus.SUBMITTED)
_FLAGGED = _SUBMITTED & flagged("responses__")


@dataclass
class ModuleProgress:
    module: Module
    questions: list[Question]

    @property
    def released_count(self) -> int:
        return sum(1 for q in self.questions if q.is_released)

    @property
    def all_released(self) -> bool:
        return bool(self.questions) and self.released_count == len(self.questions)


def course_overview(course: Course) -> tuple[list[ModuleProgress], int]:
    """Modules → questions with grading progress, and the number of active students; three queries.

    Dropped students' answers are left out of every count (they come back when the student is restored).
    """
    modules = list(course.modules.all())
    active = ~Q(responses__student_id__in=_dropped_student_ids(course.pk))
    questions = (
        Question.objects.filter(module__course=course)
        .select_related("release")
        .annotate(
            submitted=Count("responses", filter=_SUBMITTED & active),
            graded=Count("responses__grade", filter=_SUBMITTED & active),
            late=Count("responses", filter=_SUBMITTED & active & Q(responses__is_late=True)),
            flagged=Count("responses", filter=_FLAGGED & active),
            regrades_open=Count(
                "responses__regrade_request",
                filter=active & Q(responses__regrade_request__status=RegradeStatus.OPEN),
            ),
        )
        .order_by("module__number", "number")
    )
    by_module: dict[int, list[Question]] = {m.pk: [] for m in modules}
    for question in questions:
        question.is_released = question_is_released(question)
        by_module[question.module_id].append(question)
    students = Enrollment.objects.active().filter(course=course, role=Role.STUDENT).count()
    return [ModuleProgress(module=m, questions=by_module[m.pk]) for m in modules], students


def _has_release(question: Question) -> bool:
    try:
        question.release  # noqa: B018 - select_related filled it, or raises for a missing row
    except GradeRelease.DoesNotExist:
        return False
    return True


def question_is_released(question: Question) -> bool:
    """True when the question's grades are visible to students (uses a select_related `release`)."""
    return _has_release(question) and question.release.released


# Queue -----------------------------------------------------------------------------------------------------------

QUEUE_FILTERS = {
    "all": "All submitted",
    "ungraded": "Ungraded",
    "graded": "Graded",
    "assigned": "Assigned to me",
    "mine": "Graded by me",
    "flagged": "Flagged",
    "late": "Late",
    "regrade": "Regrade requested",
    "dropped": "Dropped students",
}


def _dropped_student_ids(course_id: int) -> QuerySet:
    """A subquery of the course's dropped members: their answers leave the queue and the counts until restored."""
    return Enrollment.objects.filter(course_id=course_id, status=EnrollmentStatus.DROPPED).values("user_id")


def queue_responses(question: Question, user, which: str = "all") -> QuerySet[Response]:
    """Submitted responses of `question` in pseudonym order (a stable shuffle), filtered.

    Selects grade, grader, lease holder and regrade request, so listing a page is one query.
    """
    responses = (
        gradable_responses()
        .filter(question=question)
        .select_related("grade__band", "grade__graded_by", "lease__holder", "regrade_request")
        .order_by("pseudonym")
    )
    dropped = _dropped_student_ids(question.module.course_id)
    if which == "dropped":
        return responses.filter(student_id__in=dropped)
    responses = responses.exclude(student_id__in=dropped)
    if which == "ungraded":
        responses = responses.filter(grade__isnull=True)
    elif which == "graded":
        responses = responses.filter(grade__isnull=False)
    elif which == "assigned":
        responses = responses.filter(assignment__grader=user)
    elif which == "mine":
        responses = responses.filter(grade__graded_by=user)
    elif which == "flagged":
        responses = responses.filter(flagged())
    elif which == "late":
        responses = responses.filter(is_late=True)
    elif which == "regrade":
        responses = responses.filter(regrade_request__isnull=False).order_by("regrade_request__status", "pseudonym")
    return responses


def queue_filter_for(question: Question, user, requested: str | None) -> str:
    """The queue filter to show: the one asked for if known; with none asked for, "assigned" when the
    user has answers of this question assigned to them (one query), else "all"."""
    if requested in QUEUE_FILTERS:
        return requested
    if requested is None and GradingAssignment.objects.filter(
        grader=user, response__question=question, response__status=ResponseStatus.SUBMITTED,
    ).exists():
        return "assigned"
    return "all"


def next_ungraded(question: Question, user, *, after: str = "", now: datetime | None = None) -> Response | None:
    """The next ungraded response, skipping ones others hold; one query.

    The user's own assigned answers come first, then unassigned ones, then those assigned to others (so
    nothing is stranded when a TA is away); within each, the first after pseudonym `after`, wrapping round.
    """
    now = now or timezone.now()
    return (
        gradable_responses()
        .filter(question=question, grade__isnull=True)
        .exclude(student_id__in=_dropped_student_ids(question.module.course_id))
        .exclude(pseudonym=after)
        .exclude(Q(lease__expires_at__gt=now) & ~Q(lease__holder=user))
        .annotate(
            tier=Case(
                When(assignment__grader=user, then=Value(0)),
                When(assignment__isnull=True, then=Value(1)),
                default=Value(2),
            ),
            # Those after `after` first, then wrap round to the start of the queue.
            wrapped=Case(When(pseudonym__gt=after, then=Value(0)), default=Value(1)),
        )
        .order_by("tier", "wrapped", "pseudonym")
        .only("pk", "pseudonym")
        .first()
    )


@dataclass(frozen=True)
class GradingProgress:
    """How far a question's grading has got, for the grading page's "12 of 48 graded · 3 left for you"."""

    graded: int
    total: int
    left_for_you: int


def grading_progress(question: Question, user) -> GradingProgress:
    """Graded and submitted answers of `question` (dropped students left out, as in the queue), and those
    left for `user`: their own assigned ungraded answers when they have any assigned, else the unassigned
    ungraded ones. One aggregate query."""
    ungraded = Q(grade__isnull=True)
    counts = (
        gradable_responses()
        .filter(question=question)
        .exclude(student_id__in=_dropped_student_ids(question.module.course_id))
        .aggregate(
            total=Count("id"),
            graded=Count("grade"),
            assigned_to_you=Count("id", filter=Q(assignment__grader=user)),
            yours_left=Count("id", filter=ungraded & Q(assignment__grader=user)),
            unassigned_left=Count("id", filter=ungraded & Q(assignment__isnull=True)),
        )
    )
    left = counts["yours_left"] if counts["assigned_to_you"] else counts["unassigned_left"]
    return GradingProgress(graded=counts["graded"], total=counts["total"], left_for_you=left)


def queue_neighbours(response: Response) -> tuple[Response | None, Response | None]:
    """The responses before and after `response` in its question's queue order (pseudonym, dropped
    students left out); two small queries on the (question, pseudonym) order."""
    neighbours = (
        gradable_responses()
        .filter(question_id=response.question_id)
        .exclude(student_id__in=_dropped_student_ids(response.question.module.course_id))
        .exclude(pk=response.pk)
        .only("pk", "pseudonym")
    )
    previous = neighbours.filter(pseudonym__lt=response.pseudonym).order_by("-pseudonym").first()
    following = neighbours.filter(pseudonym__gt=response.pseudonym).order_by("pseudonym").first()
    return previous, following


def lease_status(response: Response, user) -> dict:
    """What the grading page polls: who holds `response` now and the grade's version (uses the selected
    `lease__holder` and `grade__graded_by`, so no query of its own)."""
    lease = response.lease if _has_lease(response) else None
    live = lease is not None and lease.is_active()
    grade = grade_of(response)
    return {
        "holder": lease.holder.username if live else None,
        "holder_is_you": bool(live and lease.holder_id == user.pk),
        "taken_at": lease.taken_at.isoformat() if live else None,
        "version": grade.version if grade else 0,
        "graded_by": grade.graded_by.username if grade else None,
        "graded_at": grade.graded_at.isoformat() if grade else None,
    }


def active_lease_holder(response: Response, user, now: datetime | None = None):
    """Another user holding a live lease on `response` (uses the selected `lease`), else None."""
    lease = getattr(response, "lease", None) if _has_lease(response) else None
    if lease is not None and lease.is_active(now) and lease.holder_id != user.pk:
        return lease.holder
    return None


def _has_lease(response: Response) -> bool:
    try:
        response.lease  # noqa: B018
    except GradingLease.DoesNotExist:
        return False
    return True


def grade_of(response: Response) -> Grade | None:
    """The response's grade from select_related, or None."""
    try:
        return response.grade
    except Grade.DoesNotExist:
        return None


def regrade_of(response: Response) -> RegradeRequest | None:
    """The response's regrade request from select_related, or None."""
    try:
        return response.regrade_request
    except RegradeRequest.DoesNotExist:
        return None


def has_revealed(response: Response, user) -> bool:
    """Whether this grader has un-blinded this response before (so the page shows the name)."""
    return NameReveal.objects.filter(response=response, revealed_by=user).exists()


def comment_bank(question: Question) -> list[Comment]:
    """The question's reusable comments, oldest first."""
    return list(question.bank_comments.all())


def grade_history(response: Response) -> list[GradeEvent]:
    """Every audit row of `response`, newest first, with its actor; one query."""
    return list(GradeEvent.objects.filter(response=response).select_related("actor").order_by("-created_at", "-id"))


# Student side ----------------------------------------------------------------------------------------------------


def released_grades_for_student(student, questions: Iterable) -> dict[int, Grade]:
    """question_id → the student's released grade, in one query."""
    grades = (
        Grade.objects.filter(
            response__student=student,
            response__question__in=list(questions),
            response__question__release__released=True,
        )
        .select_related("band")
        .annotate(question_id=F("response__question_id"))
    )
    return {grade.question_id: grade for grade in grades}


def question_has_grades(question) -> bool:
    """True when any response to `question` has been graded."""
    return Grade.objects.filter(response__question=question).exists()


def regrade_deadline(release: GradeRelease | None, course: Course) -> datetime | None:
    """When a student may last ask for a regrade: the course's window after the latest release."""
    if release is None or not release.released or release.released_at is None:
        return None
    return release.released_at + timedelta(days=course.regrade_window_days)


def question_criteria(question: Question) -> list[RubricCriterion]:
    """An analytic rubric's criteria in order (one query); none for a bands question (no query)."""
    if not question.uses_criteria:
        return []
    return list(question.criteria.order_by("position"))


@dataclass(frozen=True)
class RubricShown:
    """A rubric as a page shows it: current or frozen (RubricVersion), with a grade's criterion scores
    beside its criteria when the grade was made against it. Bands and criteria are dicts, as RubricVersion
    keeps them."""

    number: int
    kind: str
    points: int
    bands: list[dict]
    criteria: list[dict]
    notes: str

    @property
    def kind_label(self) -> str:
        return RubricKind(self.kind).label


def _with_scores(criteria: list[dict], scores: list) -> list[dict]:
    if len(scores) != len(criteria):
        return criteria
    return [{**criterion, "score": score} for criterion, score in zip(criteria, scores, strict=True)]


def rubric_now(question: Question, bands: Iterable, criteria: Iterable[RubricCriterion],
               grade: Grade | None) -> RubricShown:
    """The question's current rubric (no query: bands and criteria come loaded)."""
    scores = grade.criterion_scores if grade and grade.rubric_version == question.rubric_version else []
    return RubricShown(
        number=question.rubric_version, kind=question.rubric_kind, points=question.points,
        bands=[{"label": b.label, "min_points": b.min_points, "max_points": b.max_points,
                "description": b.description} for b in bands],
        criteria=_with_scores([{"description": c.description, "max_points": c.max_points, "levels": c.levels}
                               for c in criteria], scores),
        notes=question.rubric_notes,
    )


def rubric_then(question: Question, grade: Grade | None) -> RubricShown | None:
    """The rubric `grade` was made against, when the question's rubric has changed since (one query); else None."""
    if grade is None or grade.rubric_version >= question.rubric_version:
        return None
    version = RubricVersion.objects.filter(question=question, number=grade.rubric_version).first()
    if version is None:
        return None
    rubric = version.rubric or {}
    return RubricShown(
        number=version.number, kind=version.kind, points=version.points, bands=list(rubric.get("bands", [])),
        criteria=_with_scores(list(rubric.get("criteria", [])), grade.criterion_scores),
        notes=rubric.get("notes", ""),
    )


def grade_criterion_rows(question: Question, grade: Grade) -> list[dict]:
    """Each criterion the grade was scored on, with its score: the current criteria, or those of the rubric
    version the grade was made against (one query); none for a grade given by band."""
    if not grade.criterion_scores:
        return []
    if grade.rubric_version == question.rubric_version:
        criteria = [{"description": c.description, "max_points": c.max_points}
                    for c in question.criteria.order_by("position")]
    else:
        version = RubricVersion.objects.filter(question=question, number=grade.rubric_version).first()
        criteria = list(((version.rubric or {}).get("criteria", [])) if version else [])
    rows = _with_scores(criteria, grade.criterion_scores)
    return rows if rows is not criteria else [
        {"description": f"Criterion {i}", "max_points": None, "score": score}
        for i, score in enumerate(grade.criterion_scores, start=1)
    ]


def student_grade_context(*, response: Response) -> dict:
    """Context for templates/grading/_student_grade.html on the student's own response page.

    The one place that decides what a student sees of their grade: nothing of the score,
    band, feedback or a regrade's outcome while the question's grades are not released
    (or have been withdrawn). Never carries the mark scheme or the grader's name. Three
    queries at most: the release, the released grade with its band, the regrade request; a
    grade given per criterion adds one for the criteria it was scored on.
    """
    question = response.question
    release = GradeRelease.objects.filter(question_id=response.question_id).first()
    released = bool(release and release.released)
    grade = None
    if released:
        grade = Grade.objects.select_related("band").filter(response=response).first()
    if grade is not None:
        # Raw score and late penalty, both shown: the penalty is derived from the answer's lateness
        # (against the student's own deadline) and the question's policy, never stored.
        grade.late = late_score(question, response.late_seconds, grade.score)
        grade.criteria_shown = grade_criterion_rows(question, grade)  # per-criterion scores of an analytic rubric
    regrade = RegradeRequest.objects.filter(response=response).first()
    deadline = regrade_deadline(release, question.module.course)
    can_request = bool(
        response.is_submitted and grade is not None and regrade is None
        and deadline is not None and timezone.now() <= deadline
    )
    if not response.is_submitted:
        status = "draft"
    elif grade is None:
        status = "awaiting"
    else:
        status = "released"
    return {
        "grading_response": response,
        "grading_status": status,
        "grading_grade": grade,
        "grading_regrade": regrade,
        # An answered request's reply and scores wait for the release, like the grade itself.
        "grading_regrade_reply_held": bool(regrade and regrade.status == "answered" and not released),
        "grading_can_request_regrade": can_request,
        "grading_regrade_deadline": deadline,
    }
