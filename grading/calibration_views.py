"""Calibration pages: the instructor picks exemplars with reference grades; graders work through the round.

Picking is for instructors (a TA gets 403, anyone outside the course's staff 404). The round is for the
course's staff; exemplars are shown by number only, and the references only once the round is done.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grading import calibration, selectors
from grading.calibration_forms import CalibrationForm, ExemplarForm
from grading.forms import first_error
from grading.services import GradingError

PAGE_SIZE = 50


@login_required
@require_GET
def exemplars(request: HttpRequest, pk: int) -> HttpResponse:
    """The question's exemplars with their references, and its answers to pick more from."""
    question = selectors.question_for_instructor(request.user, pk, "Only instructors pick exemplars.")
    chosen = calibration.exemplars_of(question)
    errors = calibration.exemplar_errors(chosen)
    for exemplar in chosen:
        exemplar.calibrated, exemplar.mean_error = errors.get(exemplar.pk, (0, None))
    chosen_ids = {e.response_id for e in chosen}
    answers = selectors.gradable_responses().filter(question=question).exclude(pk__in=chosen_ids).order_by("pseudonym")
    page = Paginator(answers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grading/calibration/exemplars.html", {
        "question": question, "course": question.module.course, "exemplars": chosen, "page": page,
        "bands": list(question.bands.all()), "minimum": calibration.EXEMPLARS_MIN,
        "maximum": calibration.EXEMPLARS_MAX, "full": len(chosen) >= calibration.EXEMPLARS_MAX,
    })


@login_required
@require_POST
def exemplar_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Make one answer an exemplar with a reference band and score."""
    question = selectors.question_for_instructor(request.user, pk, "Only instructors pick exemplars.")
    form = ExemplarForm(request.POST)
    try:
        if not form.is_valid():
            raise GradingError(first_error(form))
        data = form.cleaned_data
        calibration.exemplar_add(question=question, actor=request.user, response_id=data["response"],
                                 band_id=data["band"], score=data["score"])
        messages.success(request, "Exemplar added.")
    except GradingError as error:
        messages.error(request, str(error))
    return redirect("grading:exemplars", pk=question.pk)


@login_required
@require_POST
def exemplar_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an exemplar out of the round, unless someone has calibrated on it."""
    exemplar = calibration.exemplar_for_staff(request.user, pk)
    question, role = selectors.question_for_staff(request.user, exemplar.question_id)
    if not selectors.is_instructor(role):
        raise PermissionDenied("Only instructors pick exemplars.")
    try:
        calibration.exemplar_remove(exemplar=exemplar, actor=request.user)
        messages.success(request, "Exemplar removed.")
    except GradingError as error:
        messages.error(request, str(error))
    return redirect("grading:exemplars", pk=question.pk)


@login_required
@require_GET
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The grader's calibration round on a question: what is left, then reference against theirs."""
    question, role = selectors.question_for_staff(request.user, pk)
    return render(request, "grading/calibration/round.html", {
        "question": question, "course": question.module.course,
        "round": calibration.calibration_round(question, request.user), "minimum": calibration.EXEMPLARS_MIN,
        "is_ta": not selectors.is_instructor(role),
    })


def _calibrate_page(request: HttpRequest, exemplar, *, posted: dict | None = None, status: int = 200) -> HttpResponse:
    question = exemplar.question
    round_ = calibration.calibration_round(question, request.user)
    item = next(i for i in round_.items if i.exemplar.pk == exemplar.pk)
    return render(request, "grading/calibration/calibrate.html", {
        "question": question, "course": question.module.course, "exemplar": exemplar, "item": item,
        "total": len(round_.items), "bands": list(question.bands.all()),
        "posted": posted or {"band": "", "score": ""},
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def calibrate(request: HttpRequest, pk: int) -> HttpResponse:
    """Grade one exemplar, shown by number only; the reference stays hidden until the round is done."""
    exemplar = calibration.exemplar_for_staff(request.user, pk)
    if request.method == "GET":
        return _calibrate_page(request, exemplar)
    form = CalibrationForm(request.POST)
    posted = {k: request.POST.get(k, "") for k in ("band", "score")}
    try:
        if not form.is_valid():
            raise GradingError(first_error(form))
        calibration.calibration_attempt_save(exemplar=exemplar, grader=request.user,
                                             band_id=form.cleaned_data["band"], score=form.cleaned_data["score"])
    except GradingError as error:
        messages.error(request, str(error))
        return _calibrate_page(request, exemplar, posted=posted, status=400)
    following = calibration.calibration_round(exemplar.question, request.user).next_item
    if following is not None:
        return redirect("grading:calibrate", pk=following.exemplar.pk)
    messages.success(request, "Calibration done: here is how your grades compare, and the queue is open.")
    return redirect("grading:calibration", pk=exemplar.question_id)
