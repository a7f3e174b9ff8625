"""Notices: the user's own under /account/notices/, and each course's under /manage/<course_slug>/notices/."""
from django.urls import path

from courses import notice_views as views

app_name = "notices"
urlpatterns = [
    path("account/notices/", views.notice_list, name="list"),
    path("account/notices/read", views.notices_read, name="read"),
    path("account/notices/<int:pk>/", views.notice_open, name="open"),
    path("account/notices/preferences/", views.notice_preferences, name="preferences"),
    path("manage/<slug:course_slug>/notices/", views.course_notices, name="course"),
]
