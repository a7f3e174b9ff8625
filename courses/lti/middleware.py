"""What a page inside an LMS frame needs, for sessions that began with a verified LTI launch only.

- LtiFrameMiddleware lets the launch's platform (its registered origins, kept in the session by the
  launch) frame the page: CSP frame-ancestors names those origins and X-Frame-Options is dropped.
  Every other session, and the admin, keeps frame-ancestors 'none' and DENY.
- LtiCookieMiddleware marks the session and CSRF cookies SameSite=None; Secure for those sessions
  over HTTPS, so the browser sends them inside the third-party frame. An ordinary sign-in keeps
  SameSite=Lax; CSRF tokens are still checked on every POST, so the cookie change adds no way in.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "lti"


def _lti_state(request: HttpRequest) -> dict | None:
    origins = getattr(request, "lti_frame_origins", None)  # a launch page answering a registered platform
    if origins:
        return {"origins": origins}
    session = getattr(request, "session", None)
    if session is None:
        return None
    state = session.get(SESSION_KEY)
    return state if isinstance(state, dict) and state.get("origins") else None


def _frameable(request: HttpRequest) -> bool:
    return not request.path_info.startswith("/admin/")


class LtiFrameMiddleware:
    """Below XFrameOptionsMiddleware and CSPMiddleware, so it speaks before they write their headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state = _lti_state(request)
        if state is not None and _frameable(request):
            response.xframe_options_exempt = True
            response._csp_replace = {**(getattr(response, "_csp_replace", None) or {}),
                                     "frame-ancestors": ["'self'", *state["origins"]]}
        return response


class LtiCookieMiddleware:
    """Above SessionMiddleware and CsrfViewMiddleware, so it sees the cookies they set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure() and _lti_state(request) is not None:
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response
