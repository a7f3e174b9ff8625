"""The Grading team pages, under /manage/<course_slug>/grading-team/."""
from django.urls import path

from grading import team_views

app_name = "grading_team"
urlpatterns = [
    path("", team_views.team, name="team"),
    path("reassign/", team_views.team_reassign, name="reassign"),
    path("questions/<int:pk>/", team_views.team_question, name="question"),
    path("questions/<int:pk>/assign/", team_views.team_assign, name="assign"),
]
