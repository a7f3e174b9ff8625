from django.urls import path

from courses import manage_views as views

app_name = "manage"
urlpatterns = [
    path("<slug:course_slug>/", views.manage_home, name="home"),
    path("<slug:course_slug>/settings/", views.course_settings, name="settings"),
    path("<slug:course_slug>/modules/", views.module_list, name="modules"),
    path("<slug:course_slug>/modules/new/", views.module_new, name="module_new"),
    path("<slug:course_slug>/modules/<slug:module_slug>/", views.module_detail, name="module"),
    path("<slug:course_slug>/modules/<slug:module_slug>/schedule", views.module_schedule_view, name="module_schedule"),
    path("<slug:course_slug>/modules/<slug:module_slug>/publish", views.module_publish, name="module_publish"),
    path("<slug:course_slug>/modules/<slug:module_slug>/move", views.module_move_view, name="module_move"),
    path("<slug:course_slug>/modules/<slug:module_slug>/questions/new/", views.question_new, name="question_new"),
    path("<slug:course_slug>/questions/<int:pk>/", views.question_edit, name="question"),
    path("<slug:course_slug>/markdown-preview", views.markdown_preview, name="markdown_preview"),
]
