"""The release confirmation pages; included in grading/urls.py under the grading namespace."""
from django.urls import path

from grading import release_views

urlpatterns: list = [
    path("questions/<int:pk>/release/confirm/", release_views.release_question_confirm,
         name="release_question_confirm"),
    path("<slug:course_slug>/modules/<slug:module_slug>/release/confirm/", release_views.release_module_confirm,
         name="release_module_confirm"),
]
