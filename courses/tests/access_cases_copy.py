"""Access-matrix cases for Copy to next term: instructors only; the course's TAs get 403, anyone else 404."""

from reflect_site.access import AccessCase

INSTRUCTOR_ONLY = {"anonymous": 302, "ta": 403}


def _copy(w) -> str:
    return f"/manage/{w.course.slug}/copy/"


CASES: list[AccessCase] = [
    AccessCase("copy:copy", _copy, INSTRUCTOR_ONLY | {"instructor": 200}),
    # A preview of a valid request.
    AccessCase("copy:copy", lambda w: f"{_copy(w)}?slug=next-term&title=Next&deadlines=shift&shift_days=112",
               INSTRUCTOR_ONLY | {"instructor": 200}),
    AccessCase("copy:copy", _copy, INSTRUCTOR_ONLY | {"instructor": 302}, method="post",
               data=lambda w: {"slug": "next-term", "title": "Next term", "deadlines": "clear"}),
    # Bad input re-shows the form with its errors.
    AccessCase("copy:copy", _copy, INSTRUCTOR_ONLY | {"instructor": 400}, method="post",
               data=lambda w: {"slug": "", "title": "Next term", "deadlines": "clear"}),
    # Another course's TA reaches only their own course's page, and it is still not theirs to copy.
    AccessCase("copy:copy", lambda w: f"/manage/{w.other_course.slug}/copy/", {"anonymous": 302, "other_ta": 403}),
]
