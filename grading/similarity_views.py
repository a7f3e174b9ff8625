"""Near-duplicate answers for a question's staff: the flagged pairs, a pair side by side, and its review.

The pages read stored results only; the detection runs when staff press "Check now" (a POST) or in
the background (grading.tasks.similar_answers_refresh), never while a page is shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from grading import selectors
from grading.forms import first_error
from grading.models import SimilarityCheck
from grading.similarity import (
    DEFAULT_THRESHOLD,
    SHINGLE_WORDS,
    SimilarityError,
    pair_for_staff,
    question_pairs,
    shared_passages,
    similar_answers_check,
    similar_pair_review,
)
from grading.similarity_forms import SimilarityCheckForm, SimilarPairReviewForm

PAIRS_PAGE_SIZE = 50


@login_required
@require_GET
def similar_pairs(request: HttpRequest, pk: int) -> HttpResponse:
    """The question's flagged pairs, most similar first, with when they were last looked for."""
    question, _role = selectors.question_for_staff(request.user, pk)
    check = SimilarityCheck.objects.select_related("checked_by").filter(question=question).first()
    page = Paginator(question_pairs(question), PAIRS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grading/similarity/pairs.html", {
        "question": question, "course": question.module.course, "check": check, "page": page,
        "form": SimilarityCheckForm(initial={"threshold": check.threshold if check else DEFAULT_THRESHOLD}),
        "shingle_words": SHINGLE_WORDS,
    })


@login_required
@require_POST
def similar_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Look for near-duplicate answers to the question now, at the posted threshold."""
    question, _role = selectors.question_for_staff(request.user, pk)
    form = SimilarityCheckForm(request.POST)
    try:
        if not form.is_valid():
            raise SimilarityError(first_error(form))
        check = similar_answers_check(question=question, actor=request.user, threshold=form.cleaned_data["threshold"])
        earlier = f" and {check.earlier_answers} from earlier terms" if check.earlier_answers else ""
        messages.success(request, f"Compared {check.answers} answer{'s' if check.answers != 1 else ''}{earlier}: "
                                  f"{check.pairs} pair{'s' if check.pairs != 1 else ''} to read.")
    except SimilarityError as error:
        messages.error(request, str(error))
    return redirect("grading:similar_pairs", pk=question.pk)


def _pair_page(request: HttpRequest, pair, form: SimilarPairReviewForm, status: int = 200) -> HttpResponse:
    segments_a, segments_b = shared_passages(pair.response_a.submitted_text, pair.response_b.submitted_text)
    return render(request, "grading/similarity/pair.html", {
        "pair": pair, "question": pair.question, "course": pair.question.module.course,
        "earlier": pair.response_b.question_id != pair.question_id,
        "segments_a": segments_a, "segments_b": segments_b, "form": form, "shingle_words": SHINGLE_WORDS,
    }, status=status)


@login_required
@require_GET
def similar_pair(request: HttpRequest, pk: int) -> HttpResponse:
    """Both answers side by side, the word runs they share marked, and the review control."""
    pair = pair_for_staff(request.user, pk)
    return _pair_page(request, pair, SimilarPairReviewForm(initial={"reviewed": pair.reviewed or None,
                                                                    "note": pair.note}))


@login_required
@require_POST
def similar_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the pair read (or not) with a note; an invalid note is shown back, nothing saved."""
    pair = pair_for_staff(request.user, pk)
    form = SimilarPairReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _pair_page(request, pair, form, status=400)
    similar_pair_review(pair=pair, actor=request.user, reviewed=form.cleaned_data["reviewed"],
                        note=form.cleaned_data["note"])
    messages.success(request, "Review saved." if form.cleaned_data["reviewed"] else "Saved; the pair is still to read.")
    return redirect("grading:similar_pair", pk=pair.pk)
