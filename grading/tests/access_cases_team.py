"""Access-matrix cases for the grading-team pages and the release confirmation pages.

Grading team: the course's staff read (a TA sees their own load), only instructors change (a TA's POST
is a 403). Releasing: only instructors, even to look at the confirmation (a TA gets 403). Students,
strangers and the other course's TA get 404.
"""

from reflect_site.access import AccessCase

STAFF_READ = {"anonymous": 302, "ta": 200, "instructor": 200}
INSTRUCTOR_CHANGE = {"anonymous": 302, "ta": 403, "instructor": 302}
INSTRUCTOR_ONLY_PAGE = {"anonymous": 302, "ta": 403, "instructor": 200}


def _team(w) -> str:
    return f"/manage/{w.course.slug}/grading-team/"


CASES: list[AccessCase] = [
    AccessCase("grading_team:team", _team, STAFF_READ),
    AccessCase("grading_team:question", lambda w: f"{_team(w)}questions/{w.question.pk}/", STAFF_READ),
    AccessCase("grading_team:assign", lambda w: f"{_team(w)}questions/{w.question.pk}/assign/", INSTRUCTOR_CHANGE,
               method="post", data=lambda w: {"mode": "round_robin", "graders": [w.ta.pk], "scope": "unassigned"}),
    AccessCase("grading_team:reassign", lambda w: f"{_team(w)}reassign/", INSTRUCTOR_CHANGE, method="post",
               data=lambda w: {"from_grader": w.ta.pk, "to_graders": [w.instructor.pk]}),
    # Another course's question through this course's team page: 404 even for its instructor.
    AccessCase("grading_team:question", lambda w: f"/manage/{w.other_course.slug}/grading-team/questions/"
               f"{w.question.pk}/", {"anonymous": 302}),
    AccessCase("grading:release_question_confirm", lambda w: f"/grading/questions/{w.question.pk}/release/confirm/",
               INSTRUCTOR_ONLY_PAGE),
    AccessCase("grading:release_question_confirm", lambda w: f"/grading/questions/{w.question.pk}/release/confirm/",
               INSTRUCTOR_CHANGE, method="post", data=lambda w: {"action": "release", "confirm": "1"}),
    AccessCase("grading:release_module_confirm",
               lambda w: f"/grading/{w.course.slug}/modules/{w.module.slug}/release/confirm/", INSTRUCTOR_ONLY_PAGE),
    AccessCase("grading:release_module_confirm",
               lambda w: f"/grading/{w.course.slug}/modules/{w.module.slug}/release/confirm/", INSTRUCTOR_CHANGE,
               method="post", data=lambda w: {"action": "withdraw", "confirm": "1"}),
]
