"""Copy to next term: the manage area's page that copies a course's content into a new course.

Instructors only: the course's TAs get a 403 (a copy is made by someone who will teach it),
students and strangers a 404. GET with the form's fields in the query string previews the copy;
POST makes it and opens the new course's manage area.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from courses import selectors
from courses.copy import SHIFT_DAYS_MAX, SLUG_MAX, CopyError, course_copy, course_copy_preview
from courses.manage_forms import course_time_zone
from courses.models import Course

INSTRUCTORS_ONLY = "Only the course's instructors can copy it."


class CopyForm(forms.Form):
    """The new course's address and title, and what happens to the deadlines."""

    SHIFT, CLEAR = "shift", "clear"

    slug = forms.SlugField(max_length=SLUG_MAX, label="New address",
                           help_text="Letters, digits and hyphens, as in /courses/ml-systems-2027/.")
    title = forms.CharField(max_length=200, label="New title")
    deadlines = forms.ChoiceField(
        choices=[(SHIFT, "Shift every date by a number of days"), (CLEAR, "Clear every date")],
        widget=forms.RadioSelect, initial=SHIFT, label="Dates",
    )
    shift_days = forms.IntegerField(
        min_value=-SHIFT_DAYS_MAX, max_value=SHIFT_DAYS_MAX, required=False, label="Shift by (days)",
        help_text="16 weeks is 112 days. Times of day stay as they are in the course's time zone.",
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Course.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"A course with the address “{slug}” already exists; choose another.")
        return slug

    def clean(self) -> dict:
        data = super().clean()
        if data.get("deadlines") == self.SHIFT and data.get("shift_days") is None and "shift_days" not in self.errors:
            self.add_error("shift_days", "Give the number of days to shift the dates by, or clear them.")
        return data

    @property
    def shift(self) -> timedelta | None:
        """The offset asked for; None when the dates are cleared (call after is_valid)."""
        if self.cleaned_data["deadlines"] == self.CLEAR:
            return None
        return timedelta(days=self.cleaned_data["shift_days"])


@login_required
@require_http_methods(["GET", "POST"])
def course_copy_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Preview a copy of the course for next term (GET with fields), or make it (POST)."""
    enrollment, can_change = selectors.get_course_for_manager(request.user, course_slug)
    if not can_change:
        raise PermissionDenied(INSTRUCTORS_ONLY)
    course = enrollment.course
    status = 200
    if request.method == "POST":
        form = CopyForm(request.POST)
        if form.is_valid():
            try:
                copy = course_copy(source=course, slug=form.cleaned_data["slug"], title=form.cleaned_data["title"],
                                   actor=request.user, shift=form.shift,
                                   clear_deadlines=form.cleaned_data["deadlines"] == CopyForm.CLEAR)
            except CopyError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"Copied {course.title} to {copy.title}. Its modules keep their "
                                          "published state; check them and the dates before students join.")
                return redirect("manage:settings", copy.slug)
        status = 400
    elif request.GET:
        form = CopyForm(request.GET)
    else:
        form = CopyForm(initial={"title": course.title, "deadlines": CopyForm.SHIFT, "shift_days": 112})
    previewed = request.method == "GET" and form.is_bound and form.is_valid()
    preview = course_copy_preview(source=course, shift=form.shift if previewed else timedelta(0))
    context = {"course": course, "enrollment": enrollment, "can_change": can_change, "manage_section": "copy",
               "form": form, "preview": preview, "previewed": previewed}
    with course_time_zone(course):
        return render(request, "courses/manage/copy.html", context, status=status)
