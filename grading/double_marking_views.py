"""Double-marking pages: the instructor's share and sample, the second marker's blind queue and page,
agreement, and moderation.

The second marker's pages never put the first grade, its feedback or its history in the context. Settings,
agreement and moderation are for instructors: a TA gets 403, anyone outside the course's staff 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.models import Question
from grading import agreement, double_marking, selectors
from grading.double_marking_forms import DoubleMarkingForm, SecondMarkForm
from grading.forms import GradeForm, first_error
from grading.services import GradeConflict, GradingError

PAGE_SIZE = 50


def _instructor_course(request: HttpRequest, slug: str):
    course, role = selectors.course_for_staff(request.user, slug)
    if not selectors.is_instructor(role):
        raise PermissionDenied("Only instructors see agreement and moderation.")
    return course


@login_required
@require_GET
def settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The question's double-marking share and which answers are in its sample, with how far each has got."""
    question = selectors.question_for_instructor(request.user, pk, "Only instructors set up double marking.")
    share = double_marking.policy_share(question)
    page = Paginator(double_marking.sample_rows(question, share), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grading/double_marking/settings.html", {
        "question": question, "course": question.module.course, "share": share, "page": page,
        "gap": double_marking.MODERATION_GAP,
    })


@login_required
@require_POST
def policy(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the share of the question's answers that a second grader marks blind."""
    question = selectors.question_for_instructor(request.user, pk, "Only instructors set up double marking.")
    form = DoubleMarkingForm(request.POST)
    try:
        if not form.is_valid():
            raise GradingError(first_error(form))
        double_marking.double_marking_set(question=question, actor=request.user, share=form.cleaned_data["share"])
        messages.success(request, f"{form.cleaned_data['share']}% of {question}'s answers are double-marked.")
    except GradingError as error:
        messages.error(request, str(error))
    return redirect("grading:double_marking", pk=question.pk)


@login_required
@require_GET
def queue(request: HttpRequest, pk: int) -> HttpResponse:
    """The second marker's queue: sampled answers graded by someone else, waiting for a blind second mark."""
    question, _role = selectors.question_for_staff(request.user, pk)
    page = Paginator(double_marking.second_marking_queue(question, request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "grading/double_marking/queue.html", {
        "question": question, "course": question.module.course, "page": page,
    })


def _second_mark_page(request: HttpRequest, response, *, posted: dict | None = None,
                      status: int = 200) -> HttpResponse:
    question = response.question
    return render(request, "grading/double_marking/second_mark.html", {
        "response": response, "question": question, "course": question.module.course,
        "bands": list(question.bands.all()), "posted": posted or {"band": "", "score": "", "feedback": ""},
        "refusal": double_marking.second_marker_refusal(response, request.user),
        "mine": double_marking.second_mark_of(response),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def second_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Grade a sampled answer a second time, blind: no first grade, feedback or history on the page."""
    response = double_marking.response_for_second_marker(request.user, pk)
    if request.method == "GET":
        return _second_mark_page(request, response)
    form = SecondMarkForm(request.POST)
    posted = {k: request.POST.get(k, "") for k in ("band", "score", "feedback")}
    try:
        if not form.is_valid():
            raise GradingError(first_error(form))
        data = form.cleaned_data
        double_marking.second_mark_save(response_id=response.pk, actor=request.user, band_id=data["band"],
                                        score=data["score"], feedback=data["feedback"])
    except GradingError as error:
        messages.error(request, str(error))
        return _second_mark_page(request, response, posted=posted, status=400)
    messages.success(request, f"Second mark saved for {response.display_pseudonym}.")
    return redirect("grading:second_marking", pk=response.question_id)


@login_required
@require_GET
def agreement_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Agreement between first and second grades, per question and per pair of graders, with 95% intervals."""
    course = _instructor_course(request, course_slug)
    return render(request, "grading/double_marking/agreement.html", {
        "course": course, "report": double_marking.course_agreement(course), "methods": agreement.METHODS,
        "gap": double_marking.MODERATION_GAP,
    })


@login_required
@require_GET
def moderation_queue(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Double-marked answers whose grades are more than one band apart, waiting for an instructor; and settled ones."""
    course = _instructor_course(request, course_slug)
    questions = Question.objects.filter(module__course=course)
    waiting = Paginator(double_marking.moderation_items(questions), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grading/double_marking/moderation_queue.html", {
        "course": course, "page": waiting, "resolved": double_marking.moderation_items(questions, resolved=True),
        "gap": double_marking.MODERATION_GAP,
    })


def _moderation_item(request: HttpRequest, pk: int) -> double_marking.ModerationItem:
    item, role = double_marking.moderation_for_staff(request.user, pk)
    if not selectors.is_instructor(role):
        raise PermissionDenied("Only instructors moderate.")
    return item


def _moderate_page(request: HttpRequest, item, *, posted: dict | None = None, status: int = 200) -> HttpResponse:
    question = item.response.question
    grade = item.grade
    return render(request, "grading/double_marking/moderate.html", {
        "item": item, "response": item.response, "question": question, "course": question.module.course,
        "bands": list(question.bands.all()), "released": selectors.question_is_released(question),
        "posted": posted or {"band": str(grade.band_id), "score": str(grade.score), "feedback": grade.feedback},
        "version": grade.version,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """Both grades side by side; the instructor sets the final grade, which students see once released."""
    item = _moderation_item(request, pk)
    if request.method == "GET":
        return _moderate_page(request, item)
    form = GradeForm(request.POST)
    posted = {k: request.POST.get(k, "") for k in ("band", "score", "feedback")}
    try:
        if not form.is_valid():
            raise GradingError(first_error(form))
        data = form.cleaned_data
        double_marking.moderation_resolve(item=item, actor=request.user, band_id=data["band"], score=data["score"],
                                          feedback=data["feedback"], base_version=data["version"])
    except GradeConflict as conflict:
        # Someone changed the grade meanwhile: show it as it stands now, with what was posted kept in the form.
        messages.error(request, str(conflict))
        fresh = _moderation_item(request, pk)
        return _moderate_page(request, fresh, posted=posted, status=409)
    except GradingError as error:
        messages.error(request, str(error))
        return _moderate_page(request, item, posted=posted, status=400)
    messages.success(request, f"Final grade set for {item.response.display_pseudonym}; the moderation is recorded.")
    return redirect("grading:moderation", course_slug=item.response.question.module.course.slug)
