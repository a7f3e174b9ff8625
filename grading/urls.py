"""Staff grading URLs; the gradebook's live in gradebook_urls.py."""
from django.urls import path

from grading import views
from grading.calibration_urls import urlpatterns as calibration_urlpatterns
from grading.double_marking_urls import urlpatterns as double_marking_urlpatterns
from grading.gradebook_urls import urlpatterns as gradebook_urlpatterns
from grading.passback_urls import urlpatterns as passback_urlpatterns
from grading.release_urls import urlpatterns as release_urlpatterns
from grading.similarity_urls import urlpatterns as similarity_urlpatterns

app_name = "grading"
urlpatterns: list = [
    *gradebook_urlpatterns,
    *release_urlpatterns,
    *similarity_urlpatterns,
    *double_marking_urlpatterns,
    *calibration_urlpatterns,
    *passback_urlpatterns,
    path("questions/<int:pk>/", views.queue, name="queue"),
    path("questions/<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("questions/<int:pk>/release/", views.release_question, name="release_question"),
    path("responses/<int:pk>/", views.grade, name="grade"),
    path("responses/<int:pk>/save/", views.save, name="save"),
    path("responses/<int:pk>/lease/", views.lease, name="lease"),
    path("responses/<int:pk>/lease/status/", views.lease_status, name="lease_status"),
    path("responses/<int:pk>/lease/takeover/", views.lease_takeover, name="lease_takeover"),
    path("responses/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("responses/<int:pk>/regrade/", views.regrade_request, name="regrade_request"),
    path("regrades/<int:pk>/answer/", views.regrade_answer, name="regrade_answer"),
    path("<slug:course_slug>/", views.course, name="course"),
    path("<slug:course_slug>/modules/<slug:module_slug>/release/", views.release_module, name="release_module"),
]
