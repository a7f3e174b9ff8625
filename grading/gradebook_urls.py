"""Gradebook, export and analytics URLs (included by grading/urls.py)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
