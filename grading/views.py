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
from grading.forms import CommentForm, GradeForm, RegradeAnswerForm, RegradeRequestForm, criterion_inputs, first_error
from grading.models import GradeEventKind
from reflect_site.input import INT32_MAX

QUEUE_PAGE_SIZE = 50


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


GRADE_FIELDS = ("band", "score", "feedback", "version")


def _posted_grade(request: HttpRequest, criteria=()) -> dict:
    """What the grader had typed, to show again when a post can't be applied: nothing of it is lost."""
    return {key: request.POST.get(key, "") for key in (*GRADE_FIELDS, *criterion_inputs(criteria))}


def _is_version(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= INT32_MAX


def _grade_page(
    request: HttpRequest, response: Response, role: str, *, posted: dict | None = None, status: int = 200
) -> HttpResponse:
    question = response.question
    grade = selectors.grade_of(response)
    lease = services.lease_take(response=response, holder=request.user)
    held_by = lease.holder if lease.holder_id != request.user.pk else None
    bands = list(question.bands.all())
    version = grade.version if grade else 0
    criteria = selectors.question_criteria(question)
    if posted is None:
        posted = {
            "band": str(grade.band_id) if grade else "",
            "score": str(grade.score) if grade else "",
            "feedback": grade.feedback if grade else "",
            **criterion_inputs(criteria, grade=grade, question=question),
        }
    elif _is_version(posted.get("version", "")):
        # Show the version the grader's page was based on, so a grade saved meanwhile is still a conflict.
        version = int(posted["version"])
    previous, following = selectors.queue_neighbours(response)
    rubric_then = selectors.rubric_then(question, grade)
    return render(request, "grading/grade.html", {
        "response": response, "question": question, "course": question.module.course, "bands": bands,
        "grade": grade, "version": version, "posted": posted, "held_by": held_by,
        "lease": lease, "comments": selectors.comment_bank(question),
        "revealed": selectors.has_revealed(response, request.user), "events": selectors.grade_history(response),
        "regrade": selectors.regrade_of(response), "released": selectors.question_is_released(question),
        "flagged": bool(grade and grade.is_flagged(response)),
        "can_release": selectors.is_instructor(role),
        "progress": selectors.grading_progress(question, request.user),
        "previous": previous, "following": following,
        "criterion_rows": [{"criterion": c, "name": name, "value": posted.get(name, "")}
                           for c, name in zip(criteria, criterion_inputs(criteria), strict=True)],
        "rubric_then": rubric_then,
        "rubric_now": selectors.rubric_now(question, bands, criteria, grade) if rubric_then else None,
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
    criteria = selectors.question_criteria(response.question)
    form = GradeForm(request.POST, criteria=criteria)
    posted = _posted_grade(request, criteria)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _grade_page(request, response, role, posted=posted, status=400)
    data = form.cleaned_data
    try:
        saved = services.grade_save(
            response_id=response.pk, actor=request.user, band_id=data["band"], score=data["score"],
            feedback=data["feedback"], base_version=data["version"],
            kind=GradeEventKind.CONFLICT_RESOLVED if data["resolve"] else None,
            criterion_scores=form.criterion_scores(),
        )
    except services.GradeConflict as conflict:
        return render(request, "grading/conflict.html", {
            "response": response, "question": response.question, "course": response.question.module.course,
            "current": conflict.current, "posted": conflict.posted, "message": str(conflict),
            "posted_criteria": list(zip(criterion_inputs(criteria), conflict.posted.criterion_scores, strict=False)),
        }, status=409)
    except services.GradingError as error:
        messages.error(request, str(error))
        return _grade_page(request, response, role, posted=posted, status=400)
    messages.success(request, f"Saved {saved.score} for {response.display_pseudonym}.")
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
@require_GET
def lease_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Who holds this response now and its grade's version; the open grading page polls it (no writes)."""
    response, _role = selectors.response_for_staff(request.user, pk)
    return JsonResponse(selectors.lease_status(response, request.user))


@login_required
@require_POST
def lease_takeover(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the response over from whoever holds it; their page stops saving within seconds."""
    response, _role = selectors.response_for_staff(request.user, pk)
    lease = services.lease_takeover(response=response, holder=request.user)
    if _wants_json(request):
        return JsonResponse({"holder": lease.holder.username, "holder_is_you": True,
                             "taken_at": lease.taken_at.isoformat()})
    messages.success(request, f"You now hold {response.display_pseudonym}.")
    return redirect("grading:grade", pk=response.pk)


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Un-blind one response for this grader; every reveal is recorded."""
    response, _role = selectors.response_for_staff(request.user, pk)
    services.name_reveal(response=response, actor=request.user)
    return redirect("grading:grade", pk=response.pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a reusable comment to the question's bank.

    The grading page posts it with fetch and gets JSON (the page stays as it is). Without JavaScript the
    grade form itself posts here, so the response's page is shown again with the band, score and
    feedback the grader had typed.
    """
    question, _role = selectors.question_for_staff(request.user, pk)
    form = CommentForm(request.POST, question=question)
    valid = form.is_valid()
    back = form.cleaned_data.get("response")  # the response to return to, if it was one of this question's
    try:
        if not valid:
            raise services.GradingError(first_error(form))
        comment = services.comment_add(question=question, actor=request.user, text=form.cleaned_data["text"])
    except services.GradingError as error:
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=400)
        messages.error(request, str(error))
        comment = None
    else:
        if _wants_json(request):
            return JsonResponse({"id": comment.pk, "text": comment.text}, status=201)
        messages.success(request, "Comment added to the bank.")
    if back is None:
        return redirect("grading:queue", pk=question.pk)
    if "version" not in request.POST:  # not posted by the grade form: nothing typed to keep
        return redirect("grading:grade", pk=back)
    response, role = selectors.response_for_staff(request.user, back)
    criteria = selectors.question_criteria(response.question)
    return _grade_page(request, response, role, posted=_posted_grade(request, criteria),
                       status=200 if comment else 400)


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
            raise services.GradingError(first_error(form))
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
    form = RegradeAnswerForm(request.POST, criteria=selectors.question_criteria(regrade.response.question))
    try:
        if not form.is_valid():
            raise services.GradingError(first_error(form))
        data = form.cleaned_data
        services.regrade_answer(
            regrade=regrade, actor=request.user, reply=data["reply"], band_id=data["band"], score=data["score"],
            # A form without the feedback box (an older page) keeps the grade's feedback.
            feedback=data["feedback"] if "feedback" in request.POST else None, base_version=data["version"],
            criterion_scores=form.criterion_scores(),
        )
        messages.success(request, "Regrade answered; the student sees your reply.")
    except services.GradingError as error:
        messages.error(request, str(error))
    return redirect(reverse("grading:grade", args=[regrade.response_id]) + "#regrade")
