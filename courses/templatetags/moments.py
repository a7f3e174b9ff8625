"""`{{ value|moment:course.time_zone }}`: a moment as "29 Nov 2026, 14:05 CET" (see courses/moments.py)."""

from django import template

from courses.moments import moment_display

register = template.Library()


@register.filter
def moment(value, zone: str = "") -> str:
    """The moment in the given zone (the site's when none is given), the zone named."""
    return moment_display(value, zone or None)
