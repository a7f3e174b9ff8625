"""Instructor authoring pages: notebook import and export."""
from django.urls import path  # noqa: F401

app_name = "authoring"
urlpatterns: list = []
