"""Access-matrix cases for People, Sections, joining by code, invitations and password reset.

The course's TAs read the People and Sections pages and the roster export; every change is an
instructor's (a TA gets 403). Anyone else gets a 404, whatever the object. Joining and the
account pages are for everyone (joining needs a login).
"""

from courses.models import Section
from reflect_site.access import ROLES, AccessCase

STAFF_READ = {"anonymous": 302, "ta": 200, "instructor": 200}
INSTRUCTOR_CHANGE = {"anonymous": 302, "ta": 403, "instructor": 302}
SIGNED_IN = {role: 200 for role in ROLES} | {"anonymous": 302}
EVERYONE = {role: 200 for role in ROLES}


def _people(w, path: str = "") -> str:
    return f"/manage/{w.course.slug}/people/{path}"


def _student_enrollment(w, action: str) -> str:
    return _people(w, f"{w.course.enrollments.get(user=w.student).pk}/{action}")


def _section(w) -> Section:
    return Section.objects.get_or_create(course=w.course, name="Lab A")[0]


CASES: list[AccessCase] = [
    AccessCase("people:people", _people, STAFF_READ),
    AccessCase("people:people", lambda w: f"/manage/{w.other_course.slug}/people/",
               {"anonymous": 302, "other_ta": 200}),
    AccessCase("people:import", lambda w: _people(w, "import/"), {"anonymous": 302, "ta": 403, "instructor": 200}),
    # A POST without a file re-shows the form with its error.
    AccessCase("people:import", lambda w: _people(w, "import/"), {"anonymous": 302, "ta": 403, "instructor": 400},
               method="post", data=lambda w: {"drop_missing": ""}),
    AccessCase("people:export", lambda w: _people(w, "export.csv"), STAFF_READ),
    AccessCase("people:join_settings", lambda w: _people(w, "join/"), INSTRUCTOR_CHANGE, method="post",
               data=lambda w: {"join_enabled": "on", "join_email_domains": ""}),
    AccessCase("people:join_code_new", lambda w: _people(w, "join/new-code"), INSTRUCTOR_CHANGE, method="post"),
    AccessCase("people:drop", lambda w: _student_enrollment(w, "drop"), INSTRUCTOR_CHANGE, method="post"),
    AccessCase("people:restore", lambda w: _student_enrollment(w, "restore"), INSTRUCTOR_CHANGE, method="post"),
    AccessCase("people:section", lambda w: _student_enrollment(w, "section"), INSTRUCTOR_CHANGE, method="post",
               data=lambda w: {"section": _section(w).pk}),
    AccessCase("people:invite", lambda w: _student_enrollment(w, "invite"), INSTRUCTOR_CHANGE, method="post"),
    AccessCase("people:sections", lambda w: f"/manage/{w.course.slug}/sections/", STAFF_READ),
    AccessCase("people:sections", lambda w: f"/manage/{w.course.slug}/sections/", INSTRUCTOR_CHANGE, method="post",
               data=lambda w: {"name": "Lab B"}),
    AccessCase("people:section_rename", lambda w: f"/manage/{w.course.slug}/sections/{_section(w).pk}/rename",
               INSTRUCTOR_CHANGE, method="post", data=lambda w: {"name": "Lab C"}),
    AccessCase("people:section_delete", lambda w: f"/manage/{w.course.slug}/sections/{_section(w).pk}/delete",
               INSTRUCTOR_CHANGE, method="post"),
    # Another course's section through this course's URL is a 404 even for its instructor.
    AccessCase("people:section_delete",
               lambda w: f"/manage/{w.course.slug}/sections/"
                         f"{Section.objects.get_or_create(course=w.other_course, name='Z')[0].pk}/delete",
               {"anonymous": 302, "ta": 403}, method="post"),
    AccessCase("join", lambda w: "/join/", SIGNED_IN),
    AccessCase("join", lambda w: "/join/", {role: 400 for role in ROLES} | {"anonymous": 302}, method="post",
               data=lambda w: {"code": "NOPE-NOPE"}),
    AccessCase("password_reset", lambda w: "/accounts/password-reset/", EVERYONE),
    # An empty address re-shows the form (a valid one redirects for everyone alike: test_accounts).
    AccessCase("password_reset", lambda w: "/accounts/password-reset/", EVERYONE, method="post",
               data=lambda w: {"email": ""}),
    AccessCase("password_reset_done", lambda w: "/accounts/password-reset/sent/", EVERYONE),
    AccessCase("password_reset_confirm", lambda w: "/accounts/password-reset/MQ/bad-token/", EVERYONE),
    AccessCase("password_reset_complete", lambda w: "/accounts/password-reset/done/", EVERYONE),
    AccessCase("invitation_confirm", lambda w: "/accounts/invitation/MQ/bad-token/", EVERYONE),
    AccessCase("invitation_complete", lambda w: "/accounts/invitation/done/", EVERYONE),
]
