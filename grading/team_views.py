"""The manage area's Grading team pages: who grades which answers, and how far each grader has got.

Instructors assign and reassign; TAs may read, and see their own load (a TA's POST is a 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from courses.models import Course, Question
from courses.selectors import get_course_for_manager
from grading import assignments
from grading.forms import first_error
from grading.team_forms import MODE_HAND, MODE_ROUND_ROBIN, MODE_SECTION, AssignForm, ReassignForm

ANSWERS_PAGE_SIZE = 100


def _course(request: HttpRequest, slug: str, *, change: bool = False) -> Course:
    """The course for its active staff (404 for anyone else); a change by a TA is a 403 (one query)."""
    enrollment, can_change = get_course_for_manager(request.user, slug)
    if change and not can_change:
        raise PermissionDenied("Only the course's instructors assign grading.")
    course = enrollment.course
    course.can_change = can_change
    return course


def _question(course: Course, pk: int) -> Question:
    return get_object_or_404(Question.objects.select_related("module__course"), pk=pk, module__course=course)


def _names(result: assignments.AssignmentResult, graders) -> str:
    names = {g.pk: g.get_full_name() or g.username for g in graders}
    shares = sorted((str(names.get(pk, pk)), n) for pk, n in result.per_grader.items())
    return ", ".join(f"{name} {n}" for name, n in shares)


@login_required
@require_GET
def team(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Each grader's progress in the course and each question's assignment state; TAs see their own load."""
    course = _course(request, course_slug)
    progress = assignments.course_progress(course)
    if not course.can_change:
        progress = [p for p in progress if p.grader.pk == request.user.pk]
    return render(request, "grading/team.html", {
        "course": course, "can_change": course.can_change, "manage_section": "grading_team", "progress": progress,
        "questions": assignments.course_questions_summary(course, request.user),
        "reassign_form": ReassignForm(course=course) if course.can_change else None,
    })


@login_required
@require_GET
def team_question(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """One question: each grader's load, the answers with whom they are assigned to, and the ways to assign."""
    course = _course(request, course_slug)
    question = _question(course, pk)
    return _question_page(request, course, question, AssignForm(question=question))


def _question_page(request, course: Course, question: Question, form: AssignForm, status: int = 200) -> HttpResponse:
    loads = assignments.question_loads(question)
    graders = list(assignments.course_graders(course))
    rows = [{"grader": g, **loads.get(g.pk, {"assigned": 0, "graded": 0, "left": 0})} for g in graders]
    if not course.can_change:
        rows = [r for r in rows if r["grader"].pk == request.user.pk]
    page = None
    if course.can_change:
        page = Paginator(assignments.question_answers(question), ANSWERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grading/team_question.html", {
        "course": course, "can_change": course.can_change, "manage_section": "grading_team",
        "question": question, "rows": rows, "graders": graders, "page": page, "form": form,
        "unassigned": assignments.unassigned_count(question),
        "modes": {"section": MODE_SECTION, "round_robin": MODE_ROUND_ROBIN, "hand": MODE_HAND},
    }, status=status)


@login_required
@require_POST
def team_assign(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Assign the question's answers by section, round-robin or by hand, all in one transaction."""
    course = _course(request, course_slug, change=True)
    question = _question(course, pk)
    form = AssignForm(request.POST, question=question)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _question_page(request, course, question, form, status=400)
    data = form.cleaned_data
    try:
        if data["mode"] == MODE_SECTION:
            result = assignments.assignments_by_section(question=question, actor=request.user, scope=data["scope"])
        elif data["mode"] == MODE_ROUND_ROBIN:
            result = assignments.assignments_round_robin(
                question=question, actor=request.user, graders=list(data["graders"]), scope=data["scope"],
            )
        else:
            result = assignments.assignments_by_hand(
                question=question, actor=request.user, response_ids=data["responses"], grader=data["grader"],
            )
    except assignments.AssignmentError as error:
        messages.error(request, str(error))
        return _question_page(request, course, question, form, status=400)
    if not result.assigned:
        messages.info(request, "There were no answers to assign.")
    else:
        graders = assignments.course_graders(course)
        messages.success(request, f"Assigned {result.assigned} answer{'s' if result.assigned != 1 else ''}: "
                                  f"{_names(result, graders)}.")
    if result.fallback:
        messages.warning(request, f"{result.fallback} answer{'s' if result.fallback != 1 else ''} came from students "
                                  "whose section has no TA (or who have no section) and went round-robin "
                                  "to all the course's TAs.")
    return redirect("grading_team:question", course_slug=course.slug, pk=question.pk)


@login_required
@require_POST
def team_reassign(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Move everything assigned to one grader (ungraded, unless asked) evenly to others."""
    course = _course(request, course_slug, change=True)
    form = ReassignForm(request.POST, course=course)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("grading_team:team", course_slug=course.slug)
    data = form.cleaned_data
    try:
        result = assignments.assignments_reassign(
            course=course, actor=request.user, from_grader=data["from_grader"], to_graders=list(data["to_graders"]),
            include_graded=data["include_graded"],
        )
    except assignments.AssignmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Moved {result.assigned} answer{'s' if result.assigned != 1 else ''} "
                                  f"from {data['from_grader']}: {_names(result, assignments.course_graders(course))}.")
    return redirect("grading_team:team", course_slug=course.slug)
