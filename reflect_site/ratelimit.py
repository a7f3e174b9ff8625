"""Per-user request limits and site-wide slots that hold across app servers.

Counters live in the database, so every gunicorn process on every machine counts against
the same numbers. Limits are fixed windows ("120/m": at most 120 requests per user in each
clock minute). Each count and each slot is one atomic upsert (INSERT … ON CONFLICT …
RETURNING, which PostgreSQL and SQLite ≥ 3.35 both have), so racing servers can't both win.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from reflect_site.models import RateLimitWindow, SiteSlot
from reflect_site.security import wants_json

PERIODS = {"s": 1, "m": 60, "h": 3600}
_RATE = re.compile(r"^\s*(\d{1,6})\s*/\s*([smh])\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    period_s: int


def parse_rate(text: str) -> Rate:
    """'120/m' → Rate(120, 60); anything else is a configuration error."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"A rate limit looks like '120/m' (count per s, m or h), not {text!r}.")
    return Rate(int(match.group(1)), PERIODS[match.group(2)])


def rate_limit_hit(scope: str, user_id: int, now: float | None = None) -> int | None:
    """Count one request of `user_id` in `scope`; the seconds to wait if it is over the limit, else None."""
    rate = parse_rate(settings.RATE_LIMITS[scope])
    now = time.time() if now is None else now
    window = int(now // rate.period_s)
    table = RateLimitWindow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "window", "count") VALUES (%s, %s, 1) '
            f'ON CONFLICT ("key") DO UPDATE SET "count" = CASE WHEN {table}."window" = excluded."window" '
            f'THEN {table}."count" + 1 ELSE 1 END, "window" = excluded."window" RETURNING "count"',
            [f"{scope}:{user_id}", window],
        )
        (count,) = cursor.fetchone()
    if count <= rate.count:
        return None
    return max(1, int((window + 1) * rate.period_s - now) + 1)


def too_many_requests_message(retry_after: int) -> str:
    return f"Too many requests in a short time; please wait {retry_after} s and try again."


def rate_limited(scope: str) -> Callable:
    """Refuse a signed-in user's request with 429 once they pass the scope's limit.

    Only requests that do work are counted (not GET or HEAD). Goes under @login_required;
    anonymous requests are left to the view, which refuses them.
    JSON callers get {"error": ...}; pages get a short 429 page. Either way Retry-After is set.
    """
    parse_rate(settings.RATE_LIMITS[scope])  # fail at import on a bad setting, not at the first request

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in ("GET", "HEAD") and request.user.is_authenticated:
                retry_after = rate_limit_hit(scope, request.user.pk)
                if retry_after is not None:
                    message = too_many_requests_message(retry_after)
                    if wants_json(request):
                        response = JsonResponse({"error": message, "retry_after": retry_after}, status=429)
                    else:
                        response = render(request, "429.html", {"message": message}, status=429)
                    response["Retry-After"] = str(retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class NoSlotFree(Exception):
    """Every slot of a site-wide limit is taken."""


@contextmanager
def site_slot(name: str, slots: int, hold_s: int) -> Iterator[None]:
    """Hold one of `slots` site-wide slots for the body, or raise NoSlotFree at once.

    A slot is a row taken by an atomic upsert that only overwrites an expired holder, so of
    two servers racing for it exactly one gets it; it expires after `hold_s`, so a worker
    killed mid-run frees it.
    """
    token = secrets.token_hex(8)
    table = SiteSlot._meta.db_table
    for slot in range(slots):
        key = f"{name}:{slot}"
        now = time.time()
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO {table} ("key", "holder", "expires_at") VALUES (%s, %s, %s) '
                f'ON CONFLICT ("key") DO UPDATE SET "holder" = excluded."holder", "expires_at" = excluded."expires_at" '
                f'WHERE {table}."expires_at" < %s RETURNING "holder"',
                [key, token, now + hold_s, now],
            )
            won = cursor.fetchone() is not None
        if won:
            try:
                yield
            finally:
                SiteSlot.objects.filter(key=key, holder=token).delete()
            return
    raise NoSlotFree(name)
