"""Site-wide safety: how long a session lives, no caching of signed-in pages, the client's address."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

LOGGED_IN_AT = "_logged_in_at"
REFRESHED_AT = "_refreshed_at"
# Slide the idle expiry at most this often, so ordinary requests don't write the session.
REFRESH_EVERY_S = 300

SESSION_ENDED = "Your session ended after too long signed in or idle. Please log in again."


def wants_json(request: HttpRequest) -> bool:
    """A script (autosave, the labs' API) rather than a page: answer it in JSON."""
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


@receiver(user_logged_in)
def _stamp_session(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGGED_IN_AT] = now
        request.session[REFRESHED_AT] = now


class SessionLifetimeMiddleware:
    """Idle timeout by sliding the session's expiry; a hard limit from the moment of login.

    The session row's expiry is SESSION_COOKIE_AGE (the idle timeout) from its last save;
    saving it every few minutes while the user is active keeps it alive, and a session older
    than SESSION_MAX_HOURS is ended whatever its activity.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            logged_in_at = request.session.get(LOGGED_IN_AT)
            if logged_in_at is None:
                request.session[LOGGED_IN_AT] = request.session[REFRESHED_AT] = now
            elif now - logged_in_at > settings.SESSION_MAX_HOURS * 3600:
                return self._ended(request)
            elif now - request.session.get(REFRESHED_AT, 0) > REFRESH_EVERY_S:
                request.session[REFRESHED_AT] = now
        return self.get_response(request)

    @staticmethod
    def _ended(request: HttpRequest) -> HttpResponse:
        logout(request)
        if wants_json(request):
            return JsonResponse({"error": SESSION_ENDED, "login": settings.LOGIN_URL}, status=401)
        messages.info(request, SESSION_ENDED)
        return redirect_to_login(request.get_full_path())


class SignedInNoStoreMiddleware:
    """Pages for a signed-in user are private: no browser or proxy may keep a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """django-axes' answer to a locked-out login: the same page whether or not the username exists."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as our own proxies append to it."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
