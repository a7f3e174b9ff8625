"""Gradebook, export and analytics URLs (included by grading/urls.py)."""
from django.urls import path

from grading import gradebook_views

urlpatterns: list = [
    path("<slug:course_slug>/gradebook/", gradebook_views.gradebook, name="gradebook"),
    path("<slug:course_slug>/gradebook/export/", gradebook_views.gradebook_export, name="gradebook_export"),
    path("<slug:course_slug>/analytics/", gradebook_views.analytics, name="analytics"),
]
