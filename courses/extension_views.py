"""The manage area's Extensions page: every extension of the course, newest first, and the form to grant one.

TAs may read it; only instructors grant or revoke (a TA's POST is a 403); anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from courses.extension_forms import ExtensionForm, RevokeForm
from courses.extensions import ExtensionError, ExtensionOutcome, extension_grant, extension_revoke
from courses.manage_forms import course_time_zone
from courses.models import Course, Extension
from courses.selectors import get_course_for_manager

EXTENSIONS_PAGE_SIZE = 50


def _course(request: HttpRequest, slug: str, *, change: bool = False) -> Course:
    """The course for its staff (404 for anyone else); a change by a TA is a 403 (one query)."""
    enrollment, can_change = get_course_for_manager(request.user, slug)
    if change and not can_change:
        raise PermissionDenied("Only the course's instructors grant extensions.")
    course = enrollment.course
    course.can_change = can_change
    return course


def _page(request: HttpRequest, course: Course, form: ExtensionForm | None = None, *, status: int = 200,
          error: str = "") -> HttpResponse:
    """The list and the form. Queries: the count and a page of extensions with who and what, and the
    form's sections, questions and modules (instructors only)."""
    extensions = (
        Extension.objects.filter(course=course)
        .select_related("student", "section", "question__module", "module", "granted_by")
        .order_by("-created_at", "-id")
    )
    page = Paginator(extensions, EXTENSIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    with course_time_zone(course):
        if course.can_change and form is None:
            form = ExtensionForm(course=course)
        return render(request, "courses/manage/extensions.html", {
            "course": course, "page": page, "form": form, "error": error,
            "can_change": course.can_change, "manage_section": "extensions",
        }, status=status)


def _said(outcome: ExtensionOutcome) -> str:
    students = f"{outcome.students} student{'s' if outcome.students != 1 else ''}"
    changed = outcome.reflagged
    flags = f"; {changed} submitted answer{'s' if changed != 1 else ''} re-checked for lateness" if changed else ""
    return f"{students}{flags}."


@login_required
@require_http_methods(["GET", "POST"])
def extensions(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every extension of the course, newest first; instructors grant one here."""
    course = _course(request, course_slug, change=request.method == "POST")
    if request.method == "GET":
        return _page(request, course)
    with course_time_zone(course):
        form = ExtensionForm(request.POST, course=course)
        valid = form.is_valid()
    if not valid:
        return _page(request, course, form, status=400)
    data = form.cleaned_data
    try:
        outcome = extension_grant(
            course=course, granted_by=request.user, due_at=data["due_at"], reason=data["reason"],
            student=data["student"], section=data["section"], question=data["question"], module=data["module"],
        )
    except ExtensionError as exc:
        return _page(request, course, form, status=400, error=exc.message)
    messages.success(request, f"Extension granted: {outcome.extension.student or outcome.extension.section}, "
                              f"{_said(outcome)}")
    return redirect("extensions:extensions", course.slug)


@login_required
@require_POST
def extension_revoke_view(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Put the ordinary deadline back for what an extension covered (a new row; the old one stays)."""
    course = _course(request, course_slug, change=True)
    extension = get_object_or_404(Extension.objects.select_related("question__module", "module"), pk=pk, course=course)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("extensions:extensions", course.slug)
    try:
        outcome = extension_revoke(
            course=course, granted_by=request.user, reason=form.cleaned_data["reason"],
            student=extension.student, section=extension.section, question=extension.question,
            module=extension.module,
        )
    except ExtensionError as exc:
        messages.error(request, exc.message)
        return redirect("extensions:extensions", course.slug)
    messages.success(request, f"Ordinary deadline back: {_said(outcome)}")
    return redirect("extensions:extensions", course.slug)
