"""Access-matrix cases for this app's views (see reflect_site/access.py)."""

from grading.tests.helpers import band, graded_and_released, with_regrade
from reflect_site.access import AccessCase

STAFF_PAGE = {"anonymous": 302, "ta": 200, "instructor": 200}
STAFF_POST = {"anonymous": 302, "ta": 302, "instructor": 302}
# TAs are staff of the course, so they see it exists but may not release: 403, not 404.
INSTRUCTOR_POST = {"anonymous": 302, "ta": 403, "instructor": 302}


def _grade_data(w) -> dict:
    return {"band": band(w.question, "EXCELLENT").pk, "score": 10, "feedback": "", "version": 0}


CASES: list[AccessCase] = [
    AccessCase("grading:course", lambda w: f"/grading/{w.course.slug}/", STAFF_PAGE),
    AccessCase("grading:queue", lambda w: f"/grading/questions/{w.question.pk}/", STAFF_PAGE),
    AccessCase("grading:grade", lambda w: f"/grading/responses/{w.response.pk}/", STAFF_PAGE),
    AccessCase(
        "grading:save", lambda w: f"/grading/responses/{w.response.pk}/save/", STAFF_POST, method="post",
        data=_grade_data,
    ),
    AccessCase("grading:lease", lambda w: f"/grading/responses/{w.response.pk}/lease/", STAFF_PAGE, method="post"),
    AccessCase(
        "grading:lease_status", lambda w: f"/grading/responses/{w.response.pk}/lease/status/", STAFF_PAGE,
    ),
    AccessCase(
        "grading:lease_takeover", lambda w: f"/grading/responses/{w.response.pk}/lease/takeover/", STAFF_POST,
        method="post",
    ),
    AccessCase("grading:reveal", lambda w: f"/grading/responses/{w.response.pk}/reveal/", STAFF_POST, method="post"),
    AccessCase(
        "grading:comment_add", lambda w: f"/grading/questions/{w.question.pk}/comments/", STAFF_POST, method="post",
        data=lambda w: {"text": "Mention the exponentials."},
    ),
    AccessCase(
        "grading:release_question", lambda w: f"/grading/questions/{w.question.pk}/release/", INSTRUCTOR_POST,
        method="post", data=lambda w: {"released": "1"},
    ),
    AccessCase(
        "grading:release_module", lambda w: f"/grading/{w.course.slug}/modules/{w.module.slug}/release/",
        INSTRUCTOR_POST, method="post", data=lambda w: {"released": "1"},
    ),
    # Only the student who wrote the response may ask; everyone else gets 404.
    AccessCase(
        "grading:regrade_request", lambda w: f"/grading/responses/{w.response.pk}/regrade/",
        {"anonymous": 302, "student": 302}, method="post", data=lambda w: {"reason": "I covered cost."},
        setup=graded_and_released,
    ),
    AccessCase(
        "grading:regrade_answer", lambda w: f"/grading/regrades/{w.response.regrade_request.pk}/answer/",
        STAFF_POST, method="post", data=lambda w: {"reply": "Looked again; it stands.", "version": 1},
        setup=with_regrade,
    ),
]
