"""Admin for grading: grades are editable only through the grading pages; history is read-only.

As in the courses admin, staff who are not superusers see only the courses they teach,
and the course filters list only those courses.
"""

from django.contrib import admin

from courses.admin import InstructorScopedAdmin
from grading.models import (
    Comment,
    Grade,
    GradeEvent,
    GradeRelease,
    GradingLease,
    NameReveal,
    RegradeRequest,
    ReleaseEvent,
)

BY_COURSE_OF_RESPONSE = ("response__question__module__course", admin.RelatedOnlyFieldListFilter)
BY_COURSE_OF_QUESTION = ("question__module__course", admin.RelatedOnlyFieldListFilter)


class ReadOnlyAdmin(InstructorScopedAdmin):
    """Append-only rows: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    # Changing a grade here would skip the version check and the audit row.
    course_path = "response__question__module__course__"
    list_display = ["response", "score", "points", "band", "graded_by", "graded_at", "version", "needs_review"]
    list_filter = ["needs_review", BY_COURSE_OF_RESPONSE]
    list_select_related = ["response__student", "response__question", "band", "graded_by"]
    search_fields = ["response__pseudonym", "graded_by__username"]


@admin.register(GradeEvent)
class GradeEventAdmin(ReadOnlyAdmin):
    course_path = "response__question__module__course__"
    list_display = ["response", "kind", "actor", "created_at", "old_score", "new_score", "version"]
    list_filter = ["kind", BY_COURSE_OF_RESPONSE]
    list_select_related = ["response__student", "response__question", "actor"]


@admin.register(NameReveal)
class NameRevealAdmin(ReadOnlyAdmin):
    course_path = "response__question__module__course__"
    list_filter = [BY_COURSE_OF_RESPONSE]
    list_display = ["response", "revealed_by", "created_at"]
    list_select_related = ["response__student", "response__question", "revealed_by"]


@admin.register(ReleaseEvent)
class ReleaseEventAdmin(ReadOnlyAdmin):
    course_path = "question__module__course__"
    list_filter = [BY_COURSE_OF_QUESTION]
    list_display = ["question", "released", "actor", "created_at"]
    list_select_related = ["question", "actor"]


@admin.register(GradeRelease)
class GradeReleaseAdmin(ReadOnlyAdmin):
    course_path = "question__module__course__"
    list_filter = [BY_COURSE_OF_QUESTION]
    # Releasing must append a ReleaseEvent, which only the grading pages do.
    list_display = ["question", "released", "released_at", "changed_by", "changed_at"]
    list_select_related = ["question", "changed_by"]


@admin.register(GradingLease)
class GradingLeaseAdmin(InstructorScopedAdmin):
    course_path = "response__question__module__course__"
    list_display = ["response", "holder", "taken_at", "expires_at"]
    list_select_related = ["response__student", "response__question", "holder"]
    raw_id_fields = ["response", "holder"]


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ReadOnlyAdmin):
    course_path = "response__question__module__course__"
    list_display = ["response", "status", "created_at", "answered_by", "answered_at", "score_before", "score_after"]
    list_filter = ["status", BY_COURSE_OF_RESPONSE]
    list_select_related = ["response__student", "response__question", "answered_by"]


@admin.register(Comment)
class CommentAdmin(InstructorScopedAdmin):
    course_path = "question__module__course__"
    list_filter = [BY_COURSE_OF_QUESTION]
    list_display = ["__str__", "question", "created_by", "created_at"]
    list_select_related = ["question", "created_by"]
    raw_id_fields = ["question", "created_by"]
