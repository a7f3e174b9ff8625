"""The one way reflect shows a moment: "29 Nov 2026, 14:05 CET", in the course's time zone, the zone named.

Every time shown to a person goes through `moment_display` (templates use the `moment` filter of
courses/templatetags/moments.py; flash messages and JSON for the browser call it directly), so pages,
messages and what JavaScript writes into a page agree. The viewer's zone is the course's: deadlines are
set in it, everyone in the course reads the same clock, and a page needs no script to show it.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils import timezone


def moment_display(value: datetime | None, zone: str | None = None) -> str:
    """`value` as "29 Nov 2026, 14:05 CET" in `zone` (an IANA name; the site's zone when empty)."""
    if value is None:
        return ""
    tz = zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()
    local = timezone.localtime(value, tz) if timezone.is_aware(value) else value.replace(tzinfo=tz)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"
