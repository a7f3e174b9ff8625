"""Root URLs: each app owns its own prefix."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reflect_site.health import healthz

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("manage/", include("courses.manage_urls")),
    path("authoring/", include("courses.authoring_urls")),
    path("grading/", include("grading.urls")),
    path("activations/", include("activations.urls")),
    path("", include("courses.notice_urls")),
    path("", include("courses.urls")),
]
