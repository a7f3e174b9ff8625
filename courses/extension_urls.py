"""The manage area's Extensions page, under /manage/<course_slug>/."""
from django.urls import path

from courses import extension_views

app_name = "extensions"
urlpatterns = [
    path("extensions/", extension_views.extensions, name="extensions"),
    path("extensions/<int:pk>/revoke", extension_views.extension_revoke_view, name="revoke"),
]
