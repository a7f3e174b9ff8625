"""Degrade cleanly while the database is unreachable, and `/healthz` for load balancers.

While PostgreSQL is down or restarting, every request that needs it fails with Django's
OperationalError or InterfaceError. Instead of a 500 (and, with DEBUG, a traceback), the
user gets a 503 that says to try again, with Retry-After: JSON for scripts and autosave,
a small page otherwise. The app servers need no restart afterwards: CONN_HEALTH_CHECKS
drops a dead pooled connection before the next request uses it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

DATABASE_UNAVAILABLE = "The database is unavailable; try again in a moment."
RETRY_AFTER_SECONDS = 5
UNREACHABLE = (OperationalError, InterfaceError)
# Set on a request whose failure, somewhere below the view, was the database's.
_FAILED_ON = "_reflect_database_unavailable"
# Set on every request the middleware below will answer for.
_GUARDED = "_reflect_database_guarded"

log = logging.getLogger("reflect.health")


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def database_unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The 503 for `request`; logs one line naming the error, never its traceback or the request's data."""
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    log.warning("database unavailable: %s: %s", type(error).__name__, first_line,
                extra={"method": request.method, "path": request.path, "status": 503})
    if _wants_json(request):
        response = JsonResponse({"error": DATABASE_UNAVAILABLE, "retry": True}, status=503)
    else:
        # No request in the context: context processors would ask the database for the user.
        response = HttpResponse(render_to_string("503.html", {"message": DATABASE_UNAVAILABLE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    response._has_been_logged = True  # by the line above; Django would add an ERROR for the 503 itself
    return response


class _DatabaseUnavailableHandled(logging.Filter):
    """Drops django.request's "Internal Server Error" record, with its traceback, for a database outage that
    the middleware answers with a 503 and logs in one line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        guarded = getattr(getattr(record, "request", None), _GUARDED, False)
        return not (guarded and isinstance(error, UNREACHABLE))


logging.getLogger("django.request").addFilter(_DatabaseUnavailableHandled())


@receiver(got_request_exception)
def _remember_database_failure(sender, request: HttpRequest | None = None, **kwargs) -> None:
    # Django turns an exception raised in a middleware into a 500 right where it happens, so the
    # middleware below only sees the 500; this mark, made while the exception is current, tells it why.
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, UNREACHABLE):
        setattr(request, _FAILED_ON, error)


class DatabaseUnavailableMiddleware:
    """A 503 with a retry message, instead of a 500, when the database can't be reached."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        setattr(request, _GUARDED, True)
        response = self.get_response(request)
        error = getattr(request, _FAILED_ON, None)
        if error is not None and response.status_code == 500:
            return database_unavailable_response(request, error)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UNREACHABLE):
            return database_unavailable_response(request, exception)
        return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers `SELECT 1`, else 503; no login, no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log.warning("health check failed: %s", type(error).__name__)
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response._has_been_logged = True  # as a warning, just above
        return response
    return JsonResponse({"status": "ok"})
