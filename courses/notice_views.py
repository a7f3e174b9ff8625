"""Notices in the app: a person's own list and preferences, and the course's "Notices sent" for its staff."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import notices, selectors
from courses.models import DeliveryStatus, NoticeKind

PER_PAGE = 25
COURSE_PER_PAGE = 50


class MarkReadForm(forms.Form):
    notice = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                help_text="Empty: mark all read.")


class PreferencesForm(forms.Form):
    deadline_reminders = forms.BooleanField(
        required=False, label="E-mail me 24 hours before a deadline when I haven't submitted yet",
    )


class NoticeFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *NoticeKind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *DeliveryStatus.choices])


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """All of the user's notices, newest first."""
    page = Paginator(notices.notices_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "courses/notices/list.html", {"page": page})


@login_required
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    """Mark one notice, or all of them, read."""
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That notice could not be found.")
        return redirect("notices:list")
    changed = notices.notices_mark_read(user=request.user, pk=form.cleaned_data["notice"])
    messages.success(request, f"Marked {changed} notice{'s' if changed != 1 else ''} read.")
    return redirect("notices:list")


@login_required
@require_GET
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notice's link, marking it read."""
    notice = notices.get_notice_for_recipient(request.user, pk)
    notices.notices_mark_read(user=request.user, pk=notice.pk)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
        return redirect(notice.url)
    return redirect("notices:list")


@login_required
@require_http_methods(["GET", "POST"])
def notice_preferences(request: HttpRequest) -> HttpResponse:
    """Which e-mails the user gets: deadline reminders can be turned off; invitations and grades always come."""
    preferences = notices.notice_preferences_for(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            on = form.cleaned_data["deadline_reminders"]
            notices.notice_preferences_save(user=request.user, deadline_reminders=on)
            messages.success(request, "Deadline reminders are on." if on else "Deadline reminders are off.")
            return redirect("notices:preferences")
    else:
        form = PreferencesForm(initial={"deadline_reminders": preferences.deadline_reminders})
    return render(request, "courses/notices/preferences.html", {"form": form})


@login_required
@require_GET
def course_notices(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every notice of the course, its recipient and its delivery, filterable by kind and status (staff)."""
    enrollment, can_change = selectors.get_course_for_manager(request.user, course_slug)
    form = NoticeFilterForm(request.GET)
    status = 200
    kind = delivery = ""
    if form.is_valid():
        kind, delivery = form.cleaned_data["kind"], form.cleaned_data["status"]
    else:
        status = 400  # the form shows what was wrong; the unfiltered list below it
    rows = notices.course_notices(enrollment.course, kind=kind, status=delivery)
    page = Paginator(rows, COURSE_PER_PAGE).get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in (("kind", kind), ("status", delivery)) if v})
    return render(request, "courses/notices/course.html", {
        "course": enrollment.course, "can_change": can_change, "manage_section": "notices",
        "form": form, "page": page, "filters": filters,
    }, status=status)
