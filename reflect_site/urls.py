"""Root URLs: each app owns its own prefix."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from courses import join_views
from courses.accounts import InvitationConfirmView, ResetForm
from reflect_site.health import healthz

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(form_class=ResetForm),
         name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/password-reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accounts/invitation/<uidb64>/<token>/", InvitationConfirmView.as_view(), name="invitation_confirm"),
    path("accounts/invitation/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="registration/invitation_complete.html"), name="invitation_complete"),
    path("join/", join_views.join, name="join"),
    path("manage/<slug:course_slug>/", include("courses.people_urls")),
    path("manage/<slug:course_slug>/", include("courses.copy_urls")),
    path("manage/<slug:course_slug>/", include("courses.extension_urls")),
    path("healthz", healthz, name="healthz"),
    path("lti/", include("courses.lti.urls")),
    path("admin/", admin.site.urls),
    path("manage/", include("courses.manage_urls")),
    path("authoring/", include("courses.authoring_urls")),
    path("manage/<slug:course_slug>/grading-team/", include("grading.team_urls")),
    path("grading/", include("grading.urls")),
    path("activations/", include("activations.urls")),
    path("", include("courses.notice_urls")),
    path("", include("courses.urls")),
]
