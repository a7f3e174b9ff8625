"""Access-matrix cases for the student pages (see reflect_site/access.py)."""

from reflect_site.access import AccessCase

EVERYONE_SIGNED_IN = {"anonymous": 302, "student": 200, "other_student": 200, "ta": 200, "instructor": 200,
                      "outsider": 200, "other_ta": 200}

CASES: list[AccessCase] = [
    AccessCase("courses:dashboard", lambda w: "/", EVERYONE_SIGNED_IN),
]
