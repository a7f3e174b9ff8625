"""Admin for LTI registrations (superusers register platforms) and the tool's keys."""

from django.contrib import admin, messages
from django.db import models

from courses.lti.keys import key_retire, key_rotate
from courses.lti.models import LtiContext, LtiKey, LtiPlatform


@admin.register(LtiPlatform)
class LtiPlatformAdmin(admin.ModelAdmin):
    # A platform URL typed without a scheme means HTTPS (an LMS is never reached over plain HTTP).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "issuer", "client_id", "is_active"]
    search_fields = ["name", "issuer", "client_id"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(LtiContext)
class LtiContextAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["__str__", "course", "line_items_per", "roster_synced_at"]
    list_select_related = ["platform", "course"]
    raw_id_fields = ["course"]
    readonly_fields = ["platform", "context_id", "deployment_id", "memberships_url", "lineitems_url", "ags_scopes"]


@admin.register(LtiKey)
class LtiKeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "created_at", "retired_at"]
    fields = ["kid", "public_pem", "created_at", "retired_at"]
    readonly_fields = fields
    actions = ["rotate", "retire"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Rotate: make a new signing key (the selected rows are ignored)")
    def rotate(self, request, queryset):
        key = key_rotate()
        messages.success(request, f"New signing key {key.kid}; older keys stay published until retired.")

    @admin.action(description="Retire the selected keys (no longer published)")
    def retire(self, request, queryset):
        for key in queryset:
            try:
                key_retire(key=key)
            except ValueError as error:
                messages.error(request, str(error))
