"""Calibration: exemplars picked by instructors, and each grader's round."""
from django.urls import path

from grading import calibration_views as views

urlpatterns: list = [
    path("questions/<int:pk>/exemplars/", views.exemplars, name="exemplars"),
    path("questions/<int:pk>/exemplars/add/", views.exemplar_add, name="exemplar_add"),
    path("exemplars/<int:pk>/remove/", views.exemplar_remove, name="exemplar_remove"),
    path("questions/<int:pk>/calibration/", views.round_page, name="calibration"),
    path("exemplars/<int:pk>/", views.calibrate, name="calibrate"),
]
