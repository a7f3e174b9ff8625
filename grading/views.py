"""Staff grading pages (overview, queue, grading, conflicts, release) and the student's regrade request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courses.models import Response
from grading import assignments, calibration, double_marking, selectors, services
from grading.forms import CommentForm, GradeForm, RegradeAnswerForm, RegradeRequestForm
from grading.models import GradeEventKind

QUEUE_PAGE_SIZE = 50


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@login_required
@require_GET
def course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Modules → questions with grading progress and release state, for the course's staff."""
    course, role = selectors.course_for_staff(request.user, course_slug)
    modules, students = selectors.course_overview(course)
    return render(request, "grading/course.html", {
        "course": course, "modules": modules, "students": students,
        "can_release": selectors.is_instructor(role), "team": assignments.course_progress(course),
    })


@login_required
@require_GET
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    """One question's submitted responses in pseudonym order, filtered, paginated, with who holds each."""
    question, role = selectors.question_for_staff(request.user, pk)
    if gate := calibration.calibration_gate(question, request.user, role):
        messages.info(request, "Grade this question's calibration exemplars first; then its queue opens.")
        return redirect(gate)
    which = selectors.queue_filter_for(question, request.user, request.GET.get("filter"))
    page = Paginator(selectors.queue_responses(question, request.user, which), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "response": r,
            "grade": selectors.grade_of(r),
            "regrade": selectors.regrade_of(r),
            "held_by": selectors.active_lease_holder(r, request.user),
        }
        for r in page.object_list
    ]
    double_marking.blind_queue_rows(question, request.user, role, rows)
    return render(request, "grading/queue.html", {
        "question": question, "course": question.module.course, "page": page, "rows": rows,
        "filter": which, "filters": selectors.QUEUE_FILTERS,
        "start": selectors.next_ungraded(question, request.user),
    })


def _grade_page(
    request: HttpRequest, response: Response, role: str, *, posted: dict | None = None, status: int = 200
) -> HttpResponse:
    question = response.question
    grade = selectors.grade_of(response)
    lease = services.lease_take(response=response, holder=request.user)
    held_by = lease.holder if lease.holder_id != request.user.pk else None
    bands = list(question.bands.all())
    if posted is None:
        posted = {
            "band": str(grade.band_id) if grade else "",
            "score": str(grade.score) if grade else "",
            "feedback": grade.feedback if grade else "",
        }
    events = selectors.grade_history(response)
    return render(request, "grading/grade.html", {
        "response": response, "question": question, "course": question.module.course, "bands": bands,
        "grade": grade, "version": grade.version if grade else 0, "posted": posted, "held_by": held_by,
        "lease": lease, "comments": selectors.comment_bank(question),
        "revealed": selectors.has_revealed(response, request.user), "events": events,
        "regrade": selectors.regrade_of(response), "released": selectors.question_is_released(question),
        "flagged": bool(grade and (grade.needs_review or grade.submission_number < response.submission_count)),
        "can_release": selectors.is_instructor(role),
    }, status=status)


@login_required
@require_GET
def grade(request: HttpRequest, pk: int) -> HttpResponse:
    """The grading page: answer, rubric and mark scheme side by side; opening it takes the lease."""
    response, role = selectors.response_for_staff(request.user, pk)
    if elsewhere := _fairness_redirect(request, response, role):
        return elsewhere
    return _grade_page(request, response, role)


def _fairness_redirect(request: HttpRequest, response: Response, role: str) -> HttpResponse | None:
    """A TA goes to the calibration round first, and to the blind second-marking page for a sampled answer."""
    if gate := calibration.calibration_gate(response.question, request.user, role):
        messages.info(request, "Grade this question's calibration exemplars first; then its queue opens.")
        return redirect(gate)
    if blind := double_marking.blind_redirect(response, request.user, role):
        messages.info(request, "This answer is in the double-marking sample: grade it blind, as its second marker.")
        return redirect(blind)
    return None


@login_required
@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a grade based on the version the page showed; a stale version gets the conflict page."""
    response, role = selectors.response_for_staff(request.user, pk)
    if elsewhere := _fairness_redirect(request, response, role):
        return elsewhere
    form = GradeForm(request.POST)
    posted = {k: request.POST.get(k, "") for k in ("band", "score", "feedback")}
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _grade_page(request, response, role, posted=posted, status=400)
    data = form.cleaned_data
    try:
        services.grade_save(
            response_id=response.pk, actor=request.user, band_id=data["band"], score=data["score"],
            feedback=data["feedback"], base_version=data["version"],
            kind=GradeEventKind.CONFLICT_RESOLVED if data["resolve"] else None,
        )
    except services.GradeConflict as conflict:
        return render(request, "grading/conflict.html", {
            "response": response, "question": response.question, "course": response.question.module.course,
            "current": conflict.current, "posted": conflict.posted, "message": str(conflict),
        }, status=409)
    except services.GradingError as error:
        messages.error(request, str(error))
        return _grade_page(request, response, role, posted=posted, status=400)
    messages.success(request, f"Saved {data['score']} for {response.display_pseudonym}.")
    if request.POST.get("then") == "stay":
        return redirect("grading:grade", pk=response.pk)
    following = selectors.next_ungraded(response.question, request.user, after=response.pseudonym)
    if following is None:
        messages.info(request, "Every submitted response to this question is graded.")
        return redirect("grading:queue", pk=response.question_id)
    return redirect("grading:grade", pk=following.pk)


@login_required
@require_POST
def lease(request: HttpRequest, pk: int) -> JsonResponse:
    """Renew this grader's lease while the page stays open; says who holds it otherwise."""
    response, _role = selectors.response_for_staff(request.user, pk)
    taken = services.lease_take(response=response, holder=request.user)
    other = taken.holder.username if taken.holder_id != request.user.pk else None
    return JsonResponse({"held_by_other": other, "expires_at": taken.expires_at.isoformat()})


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Un-blind one response for this grader; every reveal is recorded."""
    response, _role = selectors.response_for_staff(request.user, pk)
    services.name_reveal(response=response, actor=request.user)
    return redirect("grading:grade", pk=response.pk)


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a reusable comment to the question's bank, then go back to the response being graded."""
    question, _role = selectors.question_for_staff(request.user, pk)
    form = CommentForm(request.POST, question=question)
    valid = form.is_valid()
    back = form.cleaned_data.get("response")  # the response to return to, if it was one of this question's
    try:
        if not valid:
            raise services.GradingError(_first_error(form))
        services.comment_add(question=question, actor=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Comment added to the bank.")
    except services.GradingError as error:
        messages.error(request, str(error))
    if back is not None:
        return redirect("grading:grade", pk=back)
    return redirect("grading:queue", pk=question.pk)


def _release(request: HttpRequest, role: str, confirm_url: str) -> HttpResponse:
    # Releasing and withdrawing go through the confirmation page (grading/release_views.py): nothing changes here.
    if not selectors.is_instructor(role):
        raise PermissionDenied("Only instructors release grades.")
    action = "withdraw" if request.POST.get("released") == "0" else "release"
    return redirect(f"{confirm_url}?action={action}")


@login_required
@require_POST
def release_module(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """Send a release or withdrawal of a module to its confirmation page (instructors only)."""
    module, role = selectors.module_for_staff(request.user, course_slug, module_slug)
    return _release(request, role, reverse("grading:release_module_confirm", args=[course_slug, module_slug]))


@login_required
@require_POST
def release_question(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a release or withdrawal of one question to its confirmation page (instructors only)."""
    question, role = selectors.question_for_staff(request.user, pk)
    return _release(request, role, reverse("grading:release_question_confirm", args=[question.pk]))


@login_required
@require_POST
def regrade_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A student asks, once and with a reason, for their released grade to be looked at again."""
    response = selectors.response_for_student(request.user, pk)
    form = RegradeRequestForm(request.POST)
    try:
        if not form.is_valid():
            raise services.GradingError(_first_error(form))
        services.regrade_request_create(response=response, student=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, "Your regrade request was sent to the course staff.")
    except services.GradingError as error:
        messages.error(request, str(error))
    return redirect(response.get_absolute_url())


@login_required
@require_POST
def regrade_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff answer a regrade request in writing, optionally changing the grade."""
    regrade = selectors.regrade_for_staff(request.user, pk)
    form = RegradeAnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise services.GradingError(_first_error(form))
        data = form.cleaned_data
        services.regrade_answer(
            regrade=regrade, actor=request.user, reply=data["reply"], band_id=data["band"], score=data["score"],
            base_version=data["version"],
        )
        messages.success(request, "Regrade answered; the student sees your reply.")
    except services.GradingError as error:
        messages.error(request, str(error))
    return redirect(reverse("grading:grade", args=[regrade.response_id]) + "#regrade")
