"""LTI 1.3 URLs, under /lti/."""
from django.urls import path

from courses.lti import views

app_name = "lti"
urlpatterns = [
    path("jwks.json", views.jwks, name="jwks"),
    path("login/", views.oidc_login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("link-account/", views.link_account, name="link_account"),
    path("launches/<str:launch_id>/course/", views.course_link, name="course_link"),
    path("launches/<str:launch_id>/deep-link/", views.deep_link, name="deep_link"),
    path("courses/<slug:course_slug>/contexts/<int:pk>/roster/", views.roster, name="roster"),
    path("setup/", views.setup, name="setup"),
]
