"""The dashboard's "Recent" notices panel, as an inclusion tag so the page's view needn't change."""

from django import template

from courses.notices import recent_notices_for

register = template.Library()


@register.inclusion_tag("courses/_recent_notices.html")
def recent_notices(user) -> dict:
    """The user's newest notices (one query)."""
    return {"notices": recent_notices_for(user)}
