"""Copy to next term, under /manage/<course_slug>/."""
from django.urls import path

from courses import copy_views

app_name = "copy"
urlpatterns = [
    path("copy/", copy_views.course_copy_view, name="copy"),
]
