"""The manage area's People and Sections pages, under /manage/<course_slug>/."""
from django.urls import path

from courses import people_views

app_name = "people"
urlpatterns = [
    path("people/", people_views.people, name="people"),
    path("people/import/", people_views.people_import, name="import"),
    path("people/export.csv", people_views.people_export, name="export"),
    path("people/join/", people_views.join_settings, name="join_settings"),
    path("people/join/new-code", people_views.join_code_new_view, name="join_code_new"),
    path("people/<int:pk>/drop", people_views.enrollment_drop_view, name="drop"),
    path("people/<int:pk>/restore", people_views.enrollment_restore_view, name="restore"),
    path("people/<int:pk>/section", people_views.enrollment_section, name="section"),
    path("people/<int:pk>/invite", people_views.invitation_resend, name="invite"),
    path("sections/", people_views.sections, name="sections"),
    path("sections/<int:pk>/rename", people_views.section_rename_view, name="section_rename"),
    path("sections/<int:pk>/delete", people_views.section_delete_view, name="section_delete"),
]
