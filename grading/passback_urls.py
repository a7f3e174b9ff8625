"""The LMS passback page's URLs (included by grading/urls.py)."""
from django.urls import path

from grading import passback_views

urlpatterns: list = [
    path("<slug:course_slug>/passback/", passback_views.passback, name="passback"),
    path("<slug:course_slug>/passback/<int:pk>/resend/", passback_views.passback_resend, name="passback_resend"),
]
