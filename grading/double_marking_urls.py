"""Double marking: settings and sample, the second marker's blind pages, agreement and moderation."""
from django.urls import path

from grading import double_marking_views as views

urlpatterns: list = [
    path("questions/<int:pk>/double-marking/", views.settings, name="double_marking"),
    path("questions/<int:pk>/double-marking/policy/", views.policy, name="double_marking_policy"),
    path("questions/<int:pk>/second-marking/", views.queue, name="second_marking"),
    path("responses/<int:pk>/second-mark/", views.second_mark, name="second_mark"),
    path("responses/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("<slug:course_slug>/agreement/", views.agreement_page, name="agreement"),
    path("<slug:course_slug>/moderation/", views.moderation_queue, name="moderation"),
]
