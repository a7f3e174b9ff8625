"""Joining a course with the code its instructor hands out."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from courses.people import JoinOutcome, PeopleError, course_join
from reflect_site.ratelimit import rate_limited


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, strip=True, label="Course code",
                           widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "K7QX-9MPA"}))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("join")  # each try counts, so codes can't be guessed by trying many
def join(request: HttpRequest) -> HttpResponse:
    """Enter a course's code to join it as a student."""
    # Bound on every POST, even an empty one, so a refusal always shows the form's error.
    data = request.POST if request.method == "POST" else None
    form = JoinForm(data, initial={"code": request.GET.get("code", "")[:32]})
    if request.method == "POST" and form.is_valid():
        try:
            course, outcome = course_join(user=request.user, code=form.cleaned_data["code"])
        except PeopleError as error:
            form.add_error("code", str(error))
        else:
            if outcome == JoinOutcome.JOINED:
                messages.success(request, f"Welcome to {course.title}.")
            else:
                messages.info(request, f"You are already in {course.title}.")
            return redirect(course.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "courses/join.html", {"form": form}, status=status)
