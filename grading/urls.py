"""Staff grading URLs; the gradebook's live in gradebook_urls.py."""
from django.urls import path  # noqa: F401

from grading.gradebook_urls import urlpatterns as gradebook_urlpatterns

app_name = "grading"
urlpatterns: list = [
    *gradebook_urlpatterns,
]
