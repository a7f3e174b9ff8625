"""Admin for courses, modules, questions with their rubric bands and criteria, and enrollments.

Bands and criteria are checked and saved by the same formsets as the manage pages (courses.questions),
with the rules the importer uses (courses.rubric). Changing the points, rubric kind, bands or
criteria of a question that already has grades needs an explicit confirmation, and then the old
rubric is kept as a version and those grades are flagged for review, never rescaled.
Instructors who are staff but not superusers see only their own courses.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from courses.markdown import render_markdown
from courses.models import Course, Enrollment, Module, Question, Response, Role, RubricBand, RubricCriterion
from courses.questions import (
    CONFIRM_FIELD,
    PREVIEW_MAX_CHARS,
    QuestionFormBase,
    RubricBandFormSet,
    RubricCriterionFormSet,
    question_rubric_change,
    rubric_change_of,
)

MARKDOWN_FIELDS = (("context", "Context"), ("prompt", "Question"), ("expected_response", "Expected response"),
                   ("mark_scheme", "Mark scheme (staff only)"))


class InstructorScopedAdmin(admin.ModelAdmin):
    """Superusers see everything; other staff see the courses they teach."""

    course_path = ""  # lookup from this model to Course, ending in "__" unless empty

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.course_path}enrollments__user": request.user,
                                  f"{self.course_path}enrollments__role": Role.INSTRUCTOR})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            mine = {"enrollments__user": request.user, "enrollments__role": Role.INSTRUCTOR}
            paths = {Course: "", Module: "course__", Question: "module__course__",
                     Response: "question__module__course__"}
            if db_field.related_model in paths:
                prefix = paths[db_field.related_model]
                kwargs["queryset"] = db_field.related_model.objects.filter(
                    **{f"{prefix}{k}": v for k, v in mine.items()}
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Course)
class CourseAdmin(InstructorScopedAdmin):
    list_display = ["title", "slug", "regrade_window_days", "created_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}

    def has_add_permission(self, request):
        # A course made by someone not enrolled in it would vanish from their own list.
        return request.user.is_superuser


@admin.register(Module)
class ModuleAdmin(InstructorScopedAdmin):
    course_path = "course__"
    list_display = ["__str__", "course", "slug", "question_count"]
    list_filter = [("course", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["course"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_count=Count("questions"))

    @admin.display(description="Questions", ordering="question_count")
    def question_count(self, obj: Module) -> int:
        return obj.question_count


class RubricBandInline(admin.TabularInline):
    model = RubricBand
    formset = RubricBandFormSet
    extra = 0
    fields = ["position", "label", "min_points", "max_points", "description"]
    ordering = ["position"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj else 5

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "description":
            field.widget = forms.Textarea(attrs={"rows": 3, "cols": 50})
        return field


class RubricCriterionInline(admin.TabularInline):
    """An analytic rubric's rows, used when the question's rubric kind is "Analytic criteria"."""

    model = RubricCriterion
    formset = RubricCriterionFormSet
    extra = 1
    fields = ["position", "description", "max_points", "levels"]
    ordering = ["position"]
    verbose_name_plural = "Rubric criteria (for analytic rubrics; they must add up to the question's points)"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("description", "levels"):
            field.widget = forms.Textarea(attrs={"rows": 2, "cols": 40})
        return field


class QuestionAdminForm(QuestionFormBase):
    class Meta:
        model = Question
        fields = ["module", "number", "grade_id", "title", "context", "prompt", "expected_response", "mark_scheme",
                  "min_words", "max_words", "points", "rubric_kind", "rubric_notes", "opens_at", "due_at",
                  "late_policy", "late_penalty_per_day", "late_penalty_cap", "lab"]


@admin.register(Question)
class QuestionAdmin(InstructorScopedAdmin):
    course_path = "module__course__"
    form = QuestionAdminForm
    change_form_template = "admin/courses/question/change_form.html"
    inlines = [RubricBandInline, RubricCriterionInline]
    list_display = ["__str__", "module", "grade_id", "points", "due_at"]
    list_filter = [("module__course", admin.RelatedOnlyFieldListFilter), ("module", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["module__course"]
    search_fields = ["title", "grade_id", "prompt"]
    readonly_fields = ["markdown_preview"]
    fieldsets = [
        (None, {"fields": ["module", "number", "grade_id", "title"]}),
        ("Text (Markdown)", {"fields": ["context", "prompt", "expected_response", "mark_scheme", "markdown_preview"]}),
        ("Length and points", {"fields": ["min_words", "max_words", "points", "rubric_kind", "rubric_notes",
                                          CONFIRM_FIELD]}),
        ("Schedule", {"fields": ["opens_at", "due_at", "late_policy", "late_penalty_per_day", "late_penalty_cap",
                                 "lab"]}),
    ]

    class Media:
        js = ["js/authoring-admin-preview.js"]

    @admin.display(description="Preview as saved")
    def markdown_preview(self, obj: Question) -> str:
        if obj is None or not obj.pk:
            return "Save the question to see it rendered; the boxes above also preview as you type."
        return format_html_join(
            "", '<div class="markdown-preview"><h4>{}</h4><div class="prose">{}</div></div>',
            ((label, mark_safe(render_markdown(getattr(obj, name)))) for name, label in MARKDOWN_FIELDS),
        )

    def has_delete_permission(self, request, obj=None):
        # Deleting a question would delete its students' answers with it.
        if obj is not None and obj.responses.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change) -> None:
        rubric_change, before = rubric_change_of(formsets)
        if not rubric_change:
            super().save_related(request, form, formsets, change)
            return
        count = question_rubric_change(
            question=form.instance, actor=request.user, reason=f"Rubric changed in the admin: {rubric_change}.",
            write=lambda: super(QuestionAdmin, self).save_related(request, form, formsets, change), before=before,
        )
        self.message_user(request, f"{count} grade(s) flagged for review in the grading queue.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "module":
            # Module numbers repeat across courses, so the choice names its course (joined, not one query each).
            field.queryset = field.queryset.select_related("course")
            field.label_from_instance = lambda module: f"{module.course.slug} · {module}"
        return field

    def get_urls(self):
        return [path("markdown-preview/", self.admin_site.admin_view(markdown_preview_view),
                     name="courses_question_markdown_preview"), *super().get_urls()]


@staff_member_required
@require_POST
def markdown_preview_view(request: HttpRequest) -> JsonResponse:
    """Render Markdown exactly as students and graders will see it, for the admin's live preview."""
    text = request.POST.get("text", "")[:PREVIEW_MAX_CHARS]
    return JsonResponse({"html": render_markdown(text)})


@admin.register(Enrollment)
class EnrollmentAdmin(InstructorScopedAdmin):
    course_path = "course__"
    list_display = ["user", "course", "role", "created_at"]
    list_filter = ["role", ("course", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "course"]
    search_fields = ["user__username", "user__email", "course__slug"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(course__in=Course.objects.filter(enrollments__user=request.user,
                                                                enrollments__role=Role.INSTRUCTOR))


# LTI 1.3 registrations and keys.
from courses.lti import admin as lti_admin  # noqa: E402, F401
