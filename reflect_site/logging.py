"""Log lines as JSON, and a request id on every line logged while a request runs.

`RequestLogMiddleware` gives each request an id (the caller's `X-Request-ID` when it is a short
safe token, else a new one), keeps it in a context variable that both formatters read, echoes it
in the response's `X-Request-ID`, and logs one line per request with its timing, at WARNING
("slow request") above `settings.SLOW_REQUEST_MS`.

Nothing here reads request bodies or query strings: answers, passwords and tokens travel there.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a little punctuation, as load balancers and tracing tools generate them; anything else
# (newlines, quotes, very long values) could forge or bloat log lines, so it is replaced.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# Extra attributes a record may carry (from the middleware's `extra=`), copied into the JSON object.
RECORD_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

log = logging.getLogger("reflect.request")


@dataclass
class RequestContext:
    request_id: str
    request: HttpRequest


_current: ContextVar[RequestContext | None] = ContextVar("reflect_request", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    context = _current.get()
    return context.request_id if context else None


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id, only if something already loaded the user: logging must not query."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def _context_fields(record: logging.LogRecord) -> dict:
    """The request fields of a record: its own `extra=` values first, then the current request's."""
    fields = {name: getattr(record, name) for name in RECORD_FIELDS if getattr(record, name, None) is not None}
    if "status" not in fields and isinstance(getattr(record, "status_code", None), int):
        fields["status"] = record.status_code  # django.request's own 4xx/5xx lines
    context = _current.get()
    if context is not None:
        fields.setdefault("request_id", context.request_id)
        if "user_id" not in fields:
            user_id = _user_id(context.request)
            if user_id is not None:
                fields["user_id"] = user_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields, and `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context_fields(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For people reading a terminal (LOG_FORMAT=text): the usual line, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_suffix)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = _context_fields(record).get("request_id")
        record.request_suffix = f" [{request_id}]" if request_id else ""
        return super().format(record)


def _request_id_from(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Assign the request id, then log method, path, status, time and user once the response is ready."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id_from(request)
        request.request_id = request_id
        token = _current.set(RequestContext(request_id=request_id, request=request))
        started = time.perf_counter()
        status = 500  # if a later middleware raises instead of answering
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            self._log(request, status, (time.perf_counter() - started) * 1000)
            _current.reset(token)

    def _log(self, request: HttpRequest, status: int, duration_ms: float) -> None:
        # request.path has no query string; control characters are escaped so a path can't start a new line.
        path = CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", request.path)[:500]
        method = CONTROL_CHARACTERS.sub("?", request.method or "")[:16]
        fields = {"method": method, "path": path, "status": status, "duration_ms": round(duration_ms, 1),
                  "user_id": _user_id(request)}
        message = f"{method} {path} {status} {duration_ms:.0f}ms"
        if duration_ms > getattr(settings, "SLOW_REQUEST_MS", 1000):
            log.warning("slow request: %s", message, extra=fields)
        else:
            log.info("%s", message, extra=fields)
