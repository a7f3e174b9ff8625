"""Access-matrix cases for this app's views (see reflect_site/access.py)."""

from reflect_site.access import AccessCase

CASES: list[AccessCase] = []
