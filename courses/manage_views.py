"""The course's manage area: settings, modules and questions, for instructors; TAs may read.

Access comes from `selectors.get_course_for_manager`: students and strangers get a 404, TAs a
403 on every change. Times are entered and shown in the course's time zone.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import selectors
from courses.manage_forms import (
    CourseSettingsForm,
    ModuleForm,
    ModuleMoveForm,
    ModulePublishForm,
    ModuleScheduleForm,
    QuestionForm,
    band_formset,
    course_time_zone,
    criterion_formset,
    shown_in_zone,
    with_stored_criteria,
)
from courses.manage_services import ManageError, module_create, module_move, module_schedule, module_set_published
from courses.markdown import render_markdown
from courses.models import Enrollment, Module, Question
from courses.questions import PREVIEW_MAX_CHARS, question_has_grades, question_save
from courses.rubric import POINTS_MAX, standard_bands

READ_ONLY = "Only the course's instructors can change this."


def _manager(request: HttpRequest, course_slug: str) -> tuple[Enrollment, bool]:
    """The staff enrollment and whether it may change things; a POST by a TA is a 403."""
    enrollment, can_change = selectors.get_course_for_manager(request.user, course_slug)
    if request.method == "POST" and not can_change:
        raise PermissionDenied(READ_ONLY)
    return enrollment, can_change


def _get_module(enrollment: Enrollment, module_slug: str) -> Module:
    module = get_object_or_404(Module, course=enrollment.course, slug=module_slug)
    module.course = enrollment.course
    return module


def _get_question(enrollment: Enrollment, pk: int) -> Question:
    question = get_object_or_404(Question.objects.select_related("module"), pk=pk,
                                 module__course=enrollment.course)
    question.module.course = enrollment.course
    return question


def _posted(request: HttpRequest):
    """The POST data to bind a form to, even when empty (an empty POST must fail validation, not show a blank form)."""
    return request.POST if request.method == "POST" else None


def _read_only(*forms) -> None:
    for form in forms:
        for field in form.fields.values():
            field.disabled = True


def _render(request: HttpRequest, template: str, enrollment: Enrollment, can_change: bool, section: str,
            status: int = 200, **context) -> HttpResponse:
    context.update(course=enrollment.course, enrollment=enrollment, can_change=can_change, manage_section=section)
    with course_time_zone(enrollment.course):
        return render(request, f"courses/manage/{template}", context, status=status)


@login_required
@require_GET
def manage_home(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The manage area opens on the course's settings."""
    _manager(request, course_slug)
    return redirect("manage:settings", course_slug)


@login_required
@require_http_methods(["GET", "POST"])
def course_settings(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Title, description, regrade window, time zone and default late policy."""
    enrollment, can_change = _manager(request, course_slug)
    course = enrollment.course
    form = CourseSettingsForm(_posted(request), instance=course)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Course settings saved.")
            return redirect("manage:settings", form.instance.slug)
        course.refresh_from_db()  # the form wrote the typed values onto the instance; the page shows the stored ones
    if not can_change:
        _read_only(form)
    return _render(request, "settings.html", enrollment, can_change, "settings", form=form,
                   status=400 if form.errors else 200)


@login_required
@require_GET
def module_list(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every module with its number, title, state and question count, drafts included."""
    enrollment, can_change = _manager(request, course_slug)
    modules = list(enrollment.course.modules.annotate(question_count=Count("questions")).order_by("number"))
    return _render(request, "modules.html", enrollment, can_change, "modules", modules=modules)


@login_required
@require_http_methods(["GET", "POST"])
def module_new(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Create a module by hand; it starts as a draft."""
    enrollment, can_change = _manager(request, course_slug)
    if not can_change:
        raise PermissionDenied(READ_ONLY)
    course = enrollment.course
    last = course.modules.order_by("-number").values_list("number", flat=True).first() or 0
    form = ModuleForm(_posted(request), course=course, initial={"number": last + 1})
    if request.method == "POST" and form.is_valid():
        module = module_create(course=course, **form.cleaned_data)
        messages.success(request, f"Module {module.number} “{module.title}” created as a draft. Add its questions, "
                                  "then publish it.")
        return redirect("manage:module", course.slug, module.slug)
    return _render(request, "module_new.html", enrollment, can_change, "modules", form=form,
                   status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def module_detail(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """A module's number, slug, title and summary, its questions, and one form for all their dates."""
    enrollment, can_change = _manager(request, course_slug)
    module = _get_module(enrollment, module_slug)
    form = ModuleForm(_posted(request), instance=module, course=enrollment.course)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Module saved.")
            return redirect("manage:module", course_slug, form.instance.slug)
        module.refresh_from_db()
    return _module_page(request, enrollment, can_change, module, form=form, schedule=ModuleScheduleForm(),
                        status=400 if form.errors else 200)


def _module_page(request, enrollment, can_change, module, *, form, schedule, status) -> HttpResponse:
    questions = list(module.questions.order_by("number"))
    if not can_change:
        _read_only(form, schedule)
    return _render(request, "module.html", enrollment, can_change, "modules", status=status, module=module,
                   questions=questions, form=form, schedule=schedule)


@login_required
@require_POST
def module_schedule_view(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """Set the opening and deadline of every question of the module, entered in the course's zone."""
    enrollment, can_change = _manager(request, course_slug)
    module = _get_module(enrollment, module_slug)
    with course_time_zone(enrollment.course):
        schedule = ModuleScheduleForm(request.POST)
        if schedule.is_valid():
            opens_at, due_at = schedule.cleaned_data["opens_at"], schedule.cleaned_data["due_at"]
            try:
                count = module_schedule(module=module, opens_at=opens_at, due_at=due_at)
            except ManageError as error:
                schedule.add_error(None, error.message)
            else:
                messages.success(request, f"{count} question{'s' if count != 1 else ''} now open "
                                          f"{shown_in_zone(opens_at)} and due {shown_in_zone(due_at)}.")
                return redirect("manage:module", course_slug, module.slug)
    return _module_page(request, enrollment, can_change, module, form=ModuleForm(instance=module,
                        course=enrollment.course), schedule=schedule, status=400)


@login_required
@require_POST
def module_publish(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """Publish a draft module to the course's students, or take it back to draft."""
    enrollment, _ = _manager(request, course_slug)
    module = _get_module(enrollment, module_slug)
    form = ModulePublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Publish or Unpublish.")
        return redirect("manage:modules", course_slug)
    published = form.cleaned_data["publish"]
    module_set_published(module=module, published=published)
    if published:
        messages.success(request, f"Module {module.number} “{module.title}” is published: students see it now.")
    else:
        messages.success(request, f"Module {module.number} “{module.title}” is a draft again: students no longer "
                                  "see it or its questions.")
    return redirect("manage:modules", course_slug)


@login_required
@require_POST
def module_move_view(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """Move a module one place up or down in the course."""
    enrollment, _ = _manager(request, course_slug)
    module = _get_module(enrollment, module_slug)
    form = ModuleMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Up or Down.")
        return redirect("manage:modules", course_slug)
    up = form.cleaned_data["direction"] == "up"
    if module_move(module=module, up=up) is None:
        messages.error(request, f"“{module.title}” is already {'first' if up else 'last'}.")
    else:
        messages.success(request, f"“{module.title}” is now module {module.number}.")
    return redirect("manage:modules", course_slug)


@login_required
@require_http_methods(["GET", "POST"])
def question_new(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """A new question in the module, with its bands and the course's default late policy."""
    enrollment, can_change = _manager(request, course_slug)
    if not can_change:
        raise PermissionDenied(READ_ONLY)
    module = _get_module(enrollment, module_slug)
    last = module.questions.order_by("-number").values_list("number", flat=True).first() or 0
    question = Question(module=module, late_policy=enrollment.course.default_late_policy)
    initial = {"number": last + 1, "grade_id": f"q{last + 1}", "late_policy": enrollment.course.default_late_policy}
    # A new question starts with the standard bands on the model's default points.
    bands_initial = [{"position": i, "label": b.label, "min_points": b.min_points, "max_points": b.max_points}
                     for i, b in enumerate(standard_bands(Question._meta.get_field("points").default))]
    return _question_page(request, enrollment, can_change, module, question, initial=initial,
                          bands_initial=bands_initial)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Everything about a question, its bands and criteria included; a rubric change on a graded question asks
    first."""
    enrollment, can_change = _manager(request, course_slug)
    question = _get_question(enrollment, pk)
    return _question_page(request, enrollment, can_change, question.module, question)


def _question_page(request, enrollment, can_change, module, question, *, initial=None,
                   bands_initial=None) -> HttpResponse:
    is_new = question.pk is None
    Bands = band_formset(prefilled=len(bands_initial or []), extra=2 if bands_initial else 1)
    Criteria = criterion_formset(extra=3 if is_new else 2)
    with course_time_zone(enrollment.course):
        form = QuestionForm(_posted(request), instance=question, module=module, initial=initial)
        bands = Bands(_posted(request), instance=question, prefix="bands", initial=bands_initial)
        criteria = Criteria(with_stored_criteria(_posted(request), question), instance=question, prefix="criteria")
        if request.method == "POST":
            # Bands and criteria are judged against the points and kind just typed, so the question form goes first.
            form_ok = form.is_valid()
            bands_ok, criteria_ok = form_ok and bands.is_valid(), form_ok and criteria.is_valid()
            if bands_ok and criteria_ok:
                question, flagged = question_save(form=form, bands=bands, criteria=criteria, actor=request.user)
                note = f" {flagged} grade(s) flagged for review in the grading queue." if flagged else ""
                messages.success(request, f"Q{question.number} “{question.title}” {'created' if is_new else 'saved'}."
                                          f"{note}")
                return redirect("manage:question", enrollment.course.slug, question.pk)
            bands.is_valid()
            criteria.is_valid()
    has_grades = not is_new and question_has_grades(question)
    if not can_change:
        _read_only(form, *bands.forms, *criteria.forms)
    return _render(request, "question.html", enrollment, can_change, "modules",
                   status=400 if request.method == "POST" else 200, module=module, question=question,
                   form=form, bands=bands, criteria=criteria, is_new=is_new, has_grades=has_grades,
                   points_max=POINTS_MAX,
                   cancel_url=reverse("manage:module", args=[enrollment.course.slug, module.slug]))


@login_required
@require_POST
def markdown_preview(request: HttpRequest, course_slug: str) -> JsonResponse:
    """Render Markdown as students and graders will see it, for the question editor's live preview."""
    _manager(request, course_slug)
    text = request.POST.get("text", "")[:PREVIEW_MAX_CHARS]
    return JsonResponse({"html": render_markdown(text)})
