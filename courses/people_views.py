"""The manage area's People and Sections pages: the roster, its import and export, join codes, sections.

TAs may read these pages; only instructors change anything (a TA's POST is a 403).
Between the import's preview and its confirmation the file travels in a signed, compressed
hidden field tied to the person and the course, so any app server can finish the import.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses.accounts import InvitationRefused, invitation_send
from courses.models import Course, Enrollment, EnrollmentStatus, Section
from courses.people import (
    PeopleError,
    enrollment_drop,
    enrollment_restore,
    enrollment_section_set,
    join_code_rotate,
    join_domain_errors,
    join_domains,
    join_settings_save,
    section_create,
    section_delete,
    section_rename,
)
from courses.previews import PreviewRefused, preview_fits, preview_read, preview_sign
from courses.roster import PlanChanged, RosterPlan, RosterRefused, max_bytes, roster_import, roster_lines
from courses.selectors import get_course_for_manager
from reflect_site.ratelimit import rate_limited

PAYLOAD_SALT = "courses.people.import"
PEOPLE_PAGE_SIZE = 100
STATUS_FILTERS = {"active": "Active", "dropped": "Dropped", "all": "Everyone"}


def _course(request: HttpRequest, slug: str, *, change: bool = False) -> Course:
    """The course for its staff (404 for anyone else); a change by a TA is a 403 (one query)."""
    enrollment, can_change = get_course_for_manager(request.user, slug)
    if change and not can_change:
        raise PermissionDenied("Only the course's instructors change its people.")
    course = enrollment.course
    course.can_change = can_change
    return course


def _enrollment(course: Course, pk: int) -> Enrollment:
    return get_object_or_404(Enrollment.objects.select_related("user", "section"), pk=pk, course=course)


# Forms ------------------------------------------------------------------------------------------------------------


class RosterUploadForm(forms.Form):
    file = forms.FileField(label="Roster CSV", widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv"}))
    drop_missing = forms.BooleanField(
        required=False, label="Drop students missing from this file",
        help_text="Staff are never dropped by an import. Dropped students keep their work and can be restored.")


class SectionForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)


class EnrollmentSectionForm(forms.Form):
    section = forms.ModelChoiceField(queryset=Section.objects.none(), required=False, empty_label="No section")

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = course.sections.all()


class JoinSettingsForm(forms.Form):
    join_enabled = forms.BooleanField(required=False, label="People with the code may join as students")
    join_email_domains = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="Allowed e-mail domains",
        help_text="One per line, such as example.edu (subdomains included). Empty: anyone with the code.")

    def clean_join_email_domains(self) -> list[str]:
        text = self.cleaned_data["join_email_domains"]
        errors = join_domain_errors(text)
        if errors:
            raise forms.ValidationError(errors)
        return join_domains(text)


# People -----------------------------------------------------------------------------------------------------------


def _people_page(request: HttpRequest, course: Course, *, join_form: JoinSettingsForm | None = None,
                 status: int = 200) -> HttpResponse:
    which = request.GET.get("status", "active")
    which = which if which in STATUS_FILTERS else "active"
    enrollments = (
        Enrollment.objects.filter(course=course).select_related("user", "section")
        .order_by("role", "user__last_name", "user__first_name", "user__username", "pk")
    )
    if which != "all":
        enrollments = enrollments.filter(status=which)
    page = Paginator(enrollments, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    sections = list(course.sections.all())
    join_form = join_form or JoinSettingsForm(initial={
        "join_enabled": course.join_enabled, "join_email_domains": course.join_email_domains})
    return render(request, "courses/manage/people.html", {
        "course": course, "page": page, "sections": sections, "status": which, "status_filters": STATUS_FILTERS,
        "join_form": join_form, "join_url": settings.SITE_URL + reverse("join"),
        "upload_form": RosterUploadForm(), "max_mb": max_bytes() / 1_048_576,
        "can_change": course.can_change, "manage_section": "people",
    }, status=status)


@login_required
@require_GET
def people(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's people, a page at a time, with their sections, and the join code settings."""
    return _people_page(request, _course(request, course_slug))


@login_required
@require_POST
def enrollment_drop_view(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Drop a person: they lose access to the course, their answers leave the queue and gradebook."""
    course = _course(request, course_slug, change=True)
    enrollment = _enrollment(course, pk)
    try:
        enrollment_drop(enrollment=enrollment, actor=request.user)
    except PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Dropped {enrollment.user.get_full_name() or enrollment.user.username}. "
                                  "Their work is kept; restore them from “Dropped”.")
    return redirect("people:people", course.slug)


@login_required
@require_POST
def enrollment_restore_view(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Restore a dropped person with all their work."""
    course = _course(request, course_slug, change=True)
    enrollment = _enrollment(course, pk)
    try:
        enrollment_restore(enrollment=enrollment)
    except PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Restored {enrollment.user.get_full_name() or enrollment.user.username}.")
    return redirect(reverse("people:people", args=[course.slug]) + "?status=dropped")


@login_required
@require_POST
def enrollment_section(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Put a person in a section (or none)."""
    course = _course(request, course_slug, change=True)
    enrollment = _enrollment(course, pk)
    form = EnrollmentSectionForm(request.POST, course=course)
    if not form.is_valid():
        messages.error(request, "Choose one of the course's sections.")
        return redirect("people:people", course.slug)
    enrollment_section_set(enrollment=enrollment, section=form.cleaned_data["section"])
    messages.success(request, f"{enrollment.user.username} is now in "
                              f"{form.cleaned_data['section'] or 'no section'}.")
    return redirect("people:people", course.slug)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Send a person who hasn't set a password a fresh invitation."""
    course = _course(request, course_slug, change=True)
    enrollment = _enrollment(course, pk)
    try:
        invitation_send(user=enrollment.user, course=course, resend=True)
    except InvitationRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Sent a new invitation to {enrollment.user.email}.")
    return redirect("people:people", course.slug)


@login_required
@require_POST
def join_settings(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Turn joining by code on or off, and limit it to e-mail domains."""
    course = _course(request, course_slug, change=True)
    form = JoinSettingsForm(request.POST)
    if not form.is_valid():
        return _people_page(request, course, join_form=form, status=400)
    join_settings_save(course=course, enabled=form.cleaned_data["join_enabled"],
                       domains=form.cleaned_data["join_email_domains"])
    messages.success(request, f"Joining is {'on, with code ' + course.join_code if course.join_enabled else 'off'}.")
    return redirect("people:people", course.slug)


@login_required
@require_POST
def join_code_new_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Draw a new join code; the old one stops working."""
    course = _course(request, course_slug, change=True)
    try:
        code = join_code_rotate(course=course)
    except PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The new join code is {code}; the old one no longer works.")
    return redirect("people:people", course.slug)


@login_required
@require_GET
def people_export(request: HttpRequest, course_slug: str) -> StreamingHttpResponse:
    """The roster as CSV in the import's own layout, streamed, every text cell inert in spreadsheets."""
    course = _course(request, course_slug)
    response = StreamingHttpResponse(roster_lines(course), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-roster.csv"'
    return response


# Import -----------------------------------------------------------------------------------------------------------


def _import_page(request: HttpRequest, course: Course, form: RosterUploadForm, *, plan: RosterPlan | None = None,
                 errors: list[str] | None = None, payload: str = "", status: int = 200) -> HttpResponse:
    return render(request, "courses/manage/people_import.html", {
        "course": course, "form": form, "plan": plan, "errors": errors or [], "payload": payload,
        "max_mb": max_bytes() / 1_048_576, "can_change": course.can_change, "manage_section": "people",
    }, status=status)


def _sign(request: HttpRequest, course: Course, text: str, drop_missing: bool, digest: str) -> str:
    return preview_sign(request, course, PAYLOAD_SALT, {"text": text, "drop": drop_missing, "digest": digest})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("import_preview")
def people_import(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Upload a roster CSV, see who would be created, added, updated, left or dropped, then confirm."""
    course = _course(request, course_slug, change=True)
    if request.method == "GET":
        return _import_page(request, course, RosterUploadForm())
    if "payload" in request.POST:
        return _confirm(request, course)
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, course, form, status=400)
    data = form.cleaned_data["file"].read(max_bytes() + 1)
    drop_missing = form.cleaned_data["drop_missing"]
    try:
        plan = roster_import(course=course, data=data, drop_missing=drop_missing, actor=request.user, dry_run=True)
    except RosterRefused as refused:
        return _import_page(request, course, form, errors=refused.errors, status=400)
    payload = _sign(request, course, data.decode("utf-8-sig"), drop_missing, plan.digest())
    if not preview_fits(payload):
        return _import_page(request, course, form, plan=plan, status=400, errors=[
            "This file is too large to confirm in one go; split it in two and import each half."])
    return _import_page(request, course, form, plan=plan, payload=payload)


def _confirm(request: HttpRequest, course: Course) -> HttpResponse:
    try:
        data = preview_read(request, course, PAYLOAD_SALT)
    except PreviewRefused as refused:
        messages.error(request, str(refused))
        return redirect("people:import", course.slug)
    form = RosterUploadForm(initial={"drop_missing": data["drop"]})
    raw = data["text"].encode("utf-8")
    try:
        plan = roster_import(course=course, data=raw, drop_missing=data["drop"], actor=request.user,
                             expected_digest=data["digest"])
    except PlanChanged as changed:
        messages.warning(request, "The roster changed since your preview. Here is what the import would do now.")
        payload = _sign(request, course, data["text"], data["drop"], changed.plan.digest())
        return _import_page(request, course, form, plan=changed.plan, payload=payload, status=409)
    except RosterRefused as refused:
        messages.error(request, "The roster changed since your preview and the file is now refused.")
        return _import_page(request, course, form, errors=refused.errors, status=409)
    totals = plan.totals()
    messages.success(request, (
        f"Imported the roster: {totals['create']} invited, {totals['add']} added, {totals['update']} updated, "
        f"{totals['unchanged']} unchanged, {totals['drop']} dropped"
        + (f"; new sections: {', '.join(plan.new_sections)}." if plan.new_sections else ".")))
    return redirect("people:people", course.slug)


# Sections ---------------------------------------------------------------------------------------------------------


def _sections_page(request: HttpRequest, course: Course, form: SectionForm | None = None,
                   status: int = 200) -> HttpResponse:
    sections = course.sections.annotate(
        students=Count("enrollments", filter=_member_filter("student")),
        tas=Count("enrollments", filter=_member_filter("ta")),
        members=Count("enrollments"),
    ).order_by("name")
    return render(request, "courses/manage/sections.html", {
        "course": course, "sections": sections, "form": form or SectionForm(), "can_change": course.can_change,
        "manage_section": "sections"}, status=status)


def _member_filter(role: str) -> Q:
    return Q(enrollments__role=role, enrollments__status=EnrollmentStatus.ACTIVE)


@login_required
@require_http_methods(["GET", "POST"])
def sections(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's sections with their numbers of students and TAs; instructors add sections here."""
    course = _course(request, course_slug, change=request.method == "POST")
    if request.method == "GET":
        return _sections_page(request, course)
    form = SectionForm(request.POST)
    if not form.is_valid():
        return _sections_page(request, course, form, status=400)
    try:
        section = section_create(course=course, name=form.cleaned_data["name"])
    except PeopleError as error:
        form.add_error("name", str(error))
        return _sections_page(request, course, form, status=400)
    messages.success(request, f"Added the section “{section.name}”.")
    return redirect("people:sections", course.slug)


@login_required
@require_POST
def section_rename_view(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Rename a section."""
    course = _course(request, course_slug, change=True)
    section = get_object_or_404(Section, pk=pk, course=course)
    form = SectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A section's name is 1 to 100 characters.")
        return redirect("people:sections", course.slug)
    old = section.name
    try:
        section_rename(section=section, name=form.cleaned_data["name"])
    except PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Renamed “{old}” to “{section.name}”.")
    return redirect("people:sections", course.slug)


@login_required
@require_POST
def section_delete_view(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Delete an empty section."""
    course = _course(request, course_slug, change=True)
    section = get_object_or_404(Section, pk=pk, course=course)
    try:
        section_delete(section=section)
    except PeopleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted the section “{section.name}”.")
    return redirect("people:sections", course.slug)
