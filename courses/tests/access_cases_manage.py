"""Access-matrix cases for the manage area's settings, modules and questions.

Staff of the course get in: instructors change, TAs read (GET) and get 403 on every change and on
the "new" forms. Students, strangers and staff of another course get a 404.
"""

from reflect_site.access import AccessCase

READ = {"anonymous": 302, "ta": 200, "instructor": 200}
# A bad POST re-shows the form with its errors.
CHANGE_INVALID = {"anonymous": 302, "ta": 403, "instructor": 400}
# Publish, move and a saved form answer with a redirect.
CHANGE_REDIRECT = {"anonymous": 302, "ta": 403, "instructor": 302}
INSTRUCTOR_FORM = {"anonymous": 302, "ta": 403, "instructor": 200}
REDIRECT = {"anonymous": 302, "ta": 302, "instructor": 302}


def _base(w) -> str:
    return f"/manage/{w.course.slug}"


CASES: list[AccessCase] = [
    AccessCase("manage:home", lambda w: f"{_base(w)}/", REDIRECT),
    AccessCase("manage:settings", lambda w: f"{_base(w)}/settings/", READ),
    AccessCase("manage:settings", lambda w: f"{_base(w)}/settings/", CHANGE_INVALID, method="post",
               data=lambda w: {"title": ""}),
    # Its own TA may read the other course; nobody of this course may.
    AccessCase("manage:settings", lambda w: f"/manage/{w.other_course.slug}/settings/",
               {"anonymous": 302, "other_ta": 200}),
    AccessCase("manage:modules", lambda w: f"{_base(w)}/modules/", READ),
    AccessCase("manage:module_new", lambda w: f"{_base(w)}/modules/new/", INSTRUCTOR_FORM),
    AccessCase("manage:module_new", lambda w: f"{_base(w)}/modules/new/", CHANGE_INVALID, method="post",
               data=lambda w: {"number": 1, "slug": "activations", "title": "Taken"}),
    AccessCase("manage:module", lambda w: f"{_base(w)}/modules/{w.module.slug}/", READ),
    AccessCase("manage:module", lambda w: f"{_base(w)}/modules/{w.module.slug}/", CHANGE_INVALID, method="post",
               data=lambda w: {"number": "", "slug": w.module.slug, "title": "X"}),
    AccessCase("manage:module_schedule", lambda w: f"{_base(w)}/modules/{w.module.slug}/schedule", CHANGE_INVALID,
               method="post", data=lambda w: {"opens_at": "2026-02-02T00:00", "due_at": "2026-01-01T00:00"}),
    AccessCase("manage:module_publish", lambda w: f"{_base(w)}/modules/{w.module.slug}/publish", CHANGE_REDIRECT,
               method="post", data=lambda w: {"publish": "1"}),
    AccessCase("manage:module_move", lambda w: f"{_base(w)}/modules/{w.module.slug}/move", CHANGE_REDIRECT,
               method="post", data=lambda w: {"direction": "down"}),
    AccessCase("manage:question_new", lambda w: f"{_base(w)}/modules/{w.module.slug}/questions/new/",
               INSTRUCTOR_FORM),
    AccessCase("manage:question_new", lambda w: f"{_base(w)}/modules/{w.module.slug}/questions/new/",
               CHANGE_INVALID, method="post", data=lambda w: {"number": "", "bands-TOTAL_FORMS": 0,
                                                             "bands-INITIAL_FORMS": 0}),
    AccessCase("manage:question", lambda w: f"{_base(w)}/questions/{w.question.pk}/", READ),
    AccessCase("manage:question", lambda w: f"{_base(w)}/questions/{w.question.pk}/", CHANGE_INVALID,
               method="post", data=lambda w: {"number": "", "bands-TOTAL_FORMS": 0, "bands-INITIAL_FORMS": 0}),
    # The question exists, but not in the course named in the URL.
    AccessCase("manage:question", lambda w: f"/manage/{w.other_course.slug}/questions/{w.question.pk}/",
               {"anonymous": 302}),
]
