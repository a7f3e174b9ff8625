from django.urls import path

from courses import views

app_name = "courses"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/<slug:module_slug>/", views.module_detail, name="module"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("questions/<int:pk>/save", views.answer_save, name="answer_save"),
    path("questions/<int:pk>/submit", views.answer_submit, name="answer_submit"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("responses/<int:pk>/restore", views.revision_restore, name="response_restore"),
]
