"""Access-matrix cases for the Extensions page: the course's TAs read it, instructors grant and revoke
(a TA's POST is a 403), anyone else gets a 404, whatever the extension."""

from datetime import timedelta

from django.utils import timezone

from courses.models import Extension
from reflect_site.access import AccessCase

STAFF_READ = {"anonymous": 302, "ta": 200, "instructor": 200}
INSTRUCTOR_CHANGE = {"anonymous": 302, "ta": 403, "instructor": 302}


def _page(w) -> str:
    return f"/manage/{w.course.slug}/extensions/"


def _grant(w) -> dict:
    due = timezone.localtime(timezone.now() + timedelta(days=3), timezone.get_fixed_timezone(0))
    return {"student": w.student.username, "question": w.question.pk, "due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "reason": "Illness, with a note"}


def _extension(w, course=None) -> Extension:
    course = course or w.course
    extension = Extension.objects.filter(course=course).first()
    if extension is None:
        question = w.question if course == w.course else None
        if question is None:
            from courses.tests.factories import make_module, make_question

            question = make_question(make_module(course))
        extension = Extension.objects.create(course=course, question=question, student=w.student,
                                             due_at=timezone.now() + timedelta(days=3), reason="Illness",
                                             granted_by=w.instructor)
    return extension


CASES: list[AccessCase] = [
    AccessCase("extensions:extensions", _page, STAFF_READ),
    AccessCase("extensions:extensions", lambda w: f"/manage/{w.other_course.slug}/extensions/",
               {"anonymous": 302, "other_ta": 200}),
    AccessCase("extensions:extensions", _page, INSTRUCTOR_CHANGE, method="post", data=_grant),
    # Bad input re-shows the form with its errors and writes nothing.
    AccessCase("extensions:extensions", _page, INSTRUCTOR_CHANGE | {"instructor": 400}, method="post",
               data=lambda w: _grant(w) | {"reason": ""}),
    AccessCase("extensions:revoke", lambda w: f"{_page(w)}{_extension(w).pk}/revoke", INSTRUCTOR_CHANGE,
               method="post", data=lambda w: {"reason": "Recovered early"}),
    # Another course's extension through this course's URL is a 404 even for this course's instructor.
    AccessCase("extensions:revoke", lambda w: f"{_page(w)}{_extension(w, w.other_course).pk}/revoke",
               {"anonymous": 302, "ta": 403}, method="post", data=lambda w: {"reason": "x"}),
]
