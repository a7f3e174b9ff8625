"""Instructor authoring pages: notebook import and export."""
from django.urls import path

from courses import authoring_views

app_name = "authoring"
urlpatterns = [
    path("<slug:course_slug>/import/", authoring_views.import_notebooks, name="import"),
    path("<slug:course_slug>/<slug:module_slug>/export/", authoring_views.export_module, name="export"),
]
