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


SETTINGS = {"title": "ML Systems", "description": "Read *this*.", "regrade_window_days": 7, "time_zone": "UTC",
            "default_late_policy": "reject"}
BANDS = [("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4), ("NO CREDIT", 0, 0)]


def _question_data(w, *, new: bool) -> dict:
    """A valid question form: the world's question as it is, or a new Q2 with the standard bands."""
    question = w.question
    data = {"number": 2 if new else 1, "grade_id": "q2" if new else question.grade_id, "title": "Cost",
            "context": "", "prompt": "Why?", "expected_response": "", "mark_scheme": "", "min_words": 150,
            "max_words": 300, "points": 10, "opens_at": "", "due_at": "2030-01-01T12:00", "late_policy": "penalty",
            "late_penalty_per_day": 10, "late_penalty_cap": 50, "lab": "", "bands-TOTAL_FORMS": len(BANDS),
            "bands-INITIAL_FORMS": 0 if new else len(BANDS), "bands-MIN_NUM_FORMS": 0, "bands-MAX_NUM_FORMS": 1000}
    existing = [] if new else list(question.bands.order_by("position"))
    for i, (label, low, high) in enumerate(BANDS):
        data.update({f"bands-{i}-position": i, f"bands-{i}-label": label, f"bands-{i}-min_points": low,
                     f"bands-{i}-max_points": high, f"bands-{i}-description": "Criteria."})
        if existing:
            data[f"bands-{i}-id"] = existing[i].pk
    return data


CASES: list[AccessCase] = [
    AccessCase("manage:home", lambda w: f"{_base(w)}/", REDIRECT),
    AccessCase("manage:settings", lambda w: f"{_base(w)}/settings/", READ),
    AccessCase("manage:settings", lambda w: f"{_base(w)}/settings/", CHANGE_REDIRECT, method="post",
               data=lambda w: SETTINGS),
    AccessCase("manage:settings", lambda w: f"{_base(w)}/settings/", CHANGE_INVALID, method="post",
               data=lambda w: {"title": ""}),
    # Its own TA may read the other course; nobody of this course may.
    AccessCase("manage:settings", lambda w: f"/manage/{w.other_course.slug}/settings/",
               {"anonymous": 302, "other_ta": 200}),
    AccessCase("manage:modules", lambda w: f"{_base(w)}/modules/", READ),
    AccessCase("manage:module_new", lambda w: f"{_base(w)}/modules/new/", INSTRUCTOR_FORM),
    AccessCase("manage:module_new", lambda w: f"{_base(w)}/modules/new/", CHANGE_REDIRECT, method="post",
               data=lambda w: {"number": 2, "slug": "losses", "title": "Losses", "summary": ""}),
    AccessCase("manage:module_new", lambda w: f"{_base(w)}/modules/new/", CHANGE_INVALID, method="post",
               data=lambda w: {"number": 1, "slug": "activations", "title": "Taken"}),
    AccessCase("manage:module", lambda w: f"{_base(w)}/modules/{w.module.slug}/", READ),
    AccessCase("manage:module", lambda w: f"{_base(w)}/modules/{w.module.slug}/", CHANGE_REDIRECT, method="post",
               data=lambda w: {"number": 1, "slug": w.module.slug, "title": "Activations", "summary": "All."}),
    AccessCase("manage:module", lambda w: f"{_base(w)}/modules/{w.module.slug}/", CHANGE_INVALID, method="post",
               data=lambda w: {"number": "", "slug": w.module.slug, "title": "X"}),
    AccessCase("manage:module_schedule", lambda w: f"{_base(w)}/modules/{w.module.slug}/schedule", CHANGE_REDIRECT,
               method="post", data=lambda w: {"opens_at": "2026-01-01T00:00", "due_at": "2026-02-01T00:00"}),
    AccessCase("manage:module_schedule", lambda w: f"{_base(w)}/modules/{w.module.slug}/schedule", CHANGE_INVALID,
               method="post", data=lambda w: {"opens_at": "2026-02-02T00:00", "due_at": "2026-01-01T00:00"}),
    AccessCase("manage:module_publish", lambda w: f"{_base(w)}/modules/{w.module.slug}/publish", CHANGE_REDIRECT,
               method="post", data=lambda w: {"publish": "1"}),
    AccessCase("manage:module_move", lambda w: f"{_base(w)}/modules/{w.module.slug}/move", CHANGE_REDIRECT,
               method="post", data=lambda w: {"direction": "down"}),
    AccessCase("manage:question_new", lambda w: f"{_base(w)}/modules/{w.module.slug}/questions/new/",
               INSTRUCTOR_FORM),
    AccessCase("manage:question_new", lambda w: f"{_base(w)}/modules/{w.module.slug}/questions/new/",
               CHANGE_REDIRECT, method="post", data=lambda w: _question_data(w, new=True)),
    AccessCase("manage:question_new", lambda w: f"{_base(w)}/modules/{w.module.slug}/questions/new/",
               CHANGE_INVALID, method="post", data=lambda w: {"number": "", "bands-TOTAL_FORMS": 0,
                                                             "bands-INITIAL_FORMS": 0}),
    AccessCase("manage:question", lambda w: f"{_base(w)}/questions/{w.question.pk}/", READ),
    AccessCase("manage:question", lambda w: f"{_base(w)}/questions/{w.question.pk}/", CHANGE_REDIRECT,
               method="post", data=lambda w: _question_data(w, new=False)),
    AccessCase("manage:question", lambda w: f"{_base(w)}/questions/{w.question.pk}/", CHANGE_INVALID,
               method="post", data=lambda w: {"number": "", "bands-TOTAL_FORMS": 0, "bands-INITIAL_FORMS": 0}),
    AccessCase("manage:markdown_preview", lambda w: f"{_base(w)}/markdown-preview",
               {"anonymous": 302, "ta": 403, "instructor": 200}, method="post", data=lambda w: {"text": "*Why?*"}),
    # The question exists, but not in the course named in the URL.
    AccessCase("manage:question", lambda w: f"/manage/{w.other_course.slug}/questions/{w.question.pk}/",
               {"anonymous": 302}),
]
