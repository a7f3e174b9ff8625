"""Instructor authoring pages: import notebooks with a preview before anything is written, and export modules.

Between preview and confirm the uploaded files travel in a signed, compressed hidden
field, so any app server behind the load balancer can finish the import; nothing is
kept on local disk or in process memory.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from courses.models import Course, Module, Role
from courses.notebooks.export import module_notebook, notebook_text
from courses.notebooks.importer import ImportPlan, ImportRefused, NotebookFile, PlanChanged, notebooks_import
from courses.notebooks.parse import MAX_CELLS, max_bytes
from courses.previews import PreviewRefused, preview_fits, preview_read, preview_sign
from courses.rubric import POINTS_MAX, WORDS_MAX

PAYLOAD_SALT = "courses.authoring.import"
MAX_FILES = 50


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [file for file in files if file]
        if not files:
            raise forms.ValidationError("Choose at least one .ipynb or .py notebook.")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Upload at most {MAX_FILES} files at a time.")
        return files


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="Notebooks", help_text="One or more .ipynb or jupytext percent-format .py files.",
        widget=MultipleFileInput(attrs={"accept": ".ipynb,.py"}),
    )
    module = forms.SlugField(
        required=False, label="Module slug",
        help_text="Leave empty to take each module from its file name (02_activations.py → module 2, activations).",
    )
    force = forms.BooleanField(
        required=False, label="Apply points or band changes to questions that already have grades",
        help_text="Their grades are then flagged for review in the grading queue; they are not rescaled.",
    )


def _get_course_for_instructor(request: HttpRequest, slug: str) -> Course:
    """The course if the user is one of its instructors; anyone else, its TAs included, gets a 404 (one query)."""
    return get_object_or_404(Course, slug=slug, enrollments__user=request.user,
                             enrollments__role=Role.INSTRUCTOR)


def _modules(course: Course):
    return Module.objects.filter(course=course).annotate(question_count=Count("questions")).order_by("number")


def _page(request: HttpRequest, course: Course, form: ImportForm, *, plan: ImportPlan | None = None,
          payload: str = "", status: int = 200) -> HttpResponse:
    context = {"course": course, "form": form, "plan": plan, "payload": payload, "modules": _modules(course),
               "max_bytes": max_bytes(), "max_cells": MAX_CELLS, "points_max": POINTS_MAX, "words_max": WORDS_MAX}
    return render(request, "courses/authoring/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_notebooks(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Upload notebooks, see what importing them would change, then confirm."""
    course = _get_course_for_instructor(request, course_slug)
    if request.method == "POST" and "payload" in request.POST:
        return _confirm(request, course)
    if request.method == "GET":
        return _page(request, course, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, course, form, status=400)
    files = [NotebookFile(upload.name, upload.read(max_bytes() + 1)) for upload in form.cleaned_data["files"]]
    module_slug = form.cleaned_data["module"] or None
    force = form.cleaned_data["force"]
    try:
        plan = notebooks_import(course=course, files=files, module_slug=module_slug, force=force,
                                actor=request.user, dry_run=True)
    except ImportRefused as refused:
        return _page(request, course, form, plan=refused.plan, status=400)
    payload = _sign(request, course, files, module_slug, force, plan.digest())
    if not preview_fits(payload):
        form.add_error("files", "These files are too large to confirm in one go; import them in smaller groups.")
        return _page(request, course, form, plan=plan, status=400)
    return _page(request, course, form, plan=plan, payload=payload)


def _sign(request, course, files: list[NotebookFile], module_slug, force, digest: str) -> str:
    # Every file that previewed cleanly is UTF-8 text, so it travels as text.
    return preview_sign(request, course, PAYLOAD_SALT, {
        "module": module_slug, "force": force, "digest": digest,
        "files": [[file.name, file.data.decode("utf-8-sig")] for file in files],
    })


def _confirm(request: HttpRequest, course: Course) -> HttpResponse:
    try:
        data = preview_read(request, course, PAYLOAD_SALT, what="files")
    except PreviewRefused as refused:
        messages.error(request, str(refused))
        return redirect("authoring:import", course.slug)
    files = [NotebookFile(name, text.encode("utf-8")) for name, text in data["files"]]
    form = ImportForm(initial={"module": data["module"] or "", "force": data["force"]})
    try:
        plan = notebooks_import(course=course, files=files, module_slug=data["module"], force=data["force"],
                                actor=request.user, expected_digest=data["digest"])
    except PlanChanged as changed:
        messages.warning(request, "The course changed since your preview. Here is what the import would do now.")
        payload = _sign(request, course, files, data["module"], data["force"], changed.plan.digest())
        return _page(request, course, form, plan=changed.plan, payload=payload, status=409)
    except ImportRefused as refused:
        messages.error(request, "The course changed since your preview and the import is now refused.")
        return _page(request, course, form, plan=refused.plan, status=409)
    totals = plan.totals()
    messages.success(request, (
        f"Imported {len(plan.files)} file(s): {totals['create']} created, {totals['update']} updated, "
        f"{totals['unchanged']} unchanged, {totals['delete']} deleted."))
    for report in plan.files:
        messages.info(request, report.summary())
    return redirect(reverse("authoring:import", args=[course.slug]))


@login_required
@require_GET
def export_module(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """Download a module as an nbgrader notebook (?format=py for jupytext percent format)."""
    course = _get_course_for_instructor(request, course_slug)
    module = get_object_or_404(Module, course=course, slug=module_slug)
    fmt = "py" if request.GET.get("format") == "py" else "ipynb"
    text = notebook_text(module_notebook(module), fmt)
    content_type = "text/x-python" if fmt == "py" else "application/x-ipynb+json"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{module.number:02d}_{module.slug}.{fmt}"'
    return response
