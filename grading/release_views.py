"""Releasing with a confirmation page first: what will be released, then release, withdraw or schedule.

The page shows, per question, graded, ungraded and flagged answers and whether the deadline has passed
or an extension is still running. Nothing changes on a GET or on a POST without the confirm flag.
Only instructors release: a TA gets a 403, anyone else not on the staff a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from courses.models import Course, Question
from grading import double_marking, selectors, services
from grading.forms import first_error
from grading.release_forms import CANCEL, RELEASE, SCHEDULE, WITHDRAW, ReleaseConfirmForm
from grading.releases import release_preview
from grading.tasks import grades_release_notify


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _confirm(request: HttpRequest, role: str, course: Course, questions: QuerySet[Question], what: str,
             here: str) -> HttpResponse:
    if not selectors.is_instructor(role):
        raise PermissionDenied("Only instructors release grades.")
    if request.method == "POST":
        form = ReleaseConfirmForm(request.POST, time_zone=course.time_zone)
        if form.is_valid():
            try:
                _apply(request, form.cleaned_data, list(questions), what)
            except services.GradingError as error:
                messages.error(request, str(error))
            else:
                return redirect("grading:course", course_slug=course.slug)
        else:
            messages.error(request, first_error(form))
        action, status = request.POST.get("action", RELEASE), 400
    else:
        form = ReleaseConfirmForm(time_zone=course.time_zone)
        action, status = request.GET.get("action", ""), 200
    previews = release_preview(questions)
    if action not in (RELEASE, WITHDRAW, SCHEDULE, CANCEL):
        action = WITHDRAW if previews and all(p.released for p in previews) else RELEASE
    return render(request, "grading/release_confirm.html", {
        "course": course, "what": what, "previews": previews, "action": action, "form": form, "here": here,
        "totals": {
            "graded": sum(p.graded for p in previews), "ungraded": sum(p.ungraded for p in previews),
            "flagged": sum(p.flagged for p in previews),
        },
        "any_scheduled": any(p.scheduled_for for p in previews),
        "any_running": any(p.extensions_running for p in previews),
        # Releasing is not held back by a disagreement: the page lists what still waits for moderation.
        "unmoderated": double_marking.moderation_items(questions),
    }, status=status)


def _apply(request: HttpRequest, data: dict, questions: list[Question], what: str) -> None:
    action = data["action"]
    if action == RELEASE:
        changed = grades_release_notify(questions=questions, actor=request.user)
        messages.success(request, f"Released grades of {what} ({_plural(changed, 'question')} changed); "
                                  "students get one e-mail digest.")
    elif action == WITHDRAW:
        changed = services.grades_release(questions=questions, actor=request.user, released=False)
        messages.success(request, f"Withdrew grades of {what} ({_plural(changed, 'question')} changed).")
    elif action == SCHEDULE:
        when = data["when"]
        changed = services.grades_release_schedule(questions=questions, actor=request.user, when=when)
        messages.success(request, f"Scheduled the release of {what} for {when:%Y-%m-%d %H:%M} "
                                  f"({when.tzinfo}) ({_plural(changed, 'question')} changed).")
    else:
        changed = services.grades_release_schedule(questions=questions, actor=request.user, when=None)
        messages.success(request, f"Cancelled the scheduled release of {what} "
                                  f"({_plural(changed, 'question')} changed).")


@login_required
@require_http_methods(["GET", "POST"])
def release_question_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm releasing, withdrawing or scheduling one question's grades (instructors only)."""
    question, role = selectors.question_for_staff(request.user, pk)
    return _confirm(request, role, question.module.course, Question.objects.filter(pk=question.pk), str(question),
                    reverse("grading:release_question_confirm", args=[question.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def release_module_confirm(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """Confirm releasing, withdrawing or scheduling every question of a module (instructors only)."""
    module, role = selectors.module_for_staff(request.user, course_slug, module_slug)
    return _confirm(request, role, module.course, Question.objects.filter(module=module), str(module),
                    reverse("grading:release_module_confirm", args=[course_slug, module_slug]))
