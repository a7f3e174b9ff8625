"""Access-matrix cases for double marking, moderation and calibration.

Settings, agreement, moderation and picking exemplars are for instructors (a TA gets 403). The second
marker's pages and the calibration round are for the course's staff. Students, strangers and the other
course's TA get 404 everywhere.
"""

from grading.models import CalibrationExemplar, DoubleMarkingPolicy, SecondMark
from grading.tests.helpers import band, grade
from reflect_site.access import AccessCase

STAFF_PAGE = {"anonymous": 302, "ta": 200, "instructor": 200}
STAFF_POST = {"anonymous": 302, "ta": 302, "instructor": 302}
INSTRUCTOR_PAGE = {"anonymous": 302, "ta": 403, "instructor": 200}
INSTRUCTOR_POST = {"anonymous": 302, "ta": 403, "instructor": 302}


def _sampled(world) -> None:
    """Every answer double-marked; the student's graded by the instructor, so the TA may second-mark it."""
    DoubleMarkingPolicy.objects.create(question=world.question, share=100, changed_by=world.instructor)
    grade(world.response, world.instructor, score=3, label="NEEDS IMPROVEMENT", feedback="First grader's words.")


def _disagreeing(world) -> None:
    _sampled(world)
    SecondMark.objects.create(response=world.response, grader=world.ta, band=band(world.question, "EXCELLENT"),
                              score=9, points=10)


def _exemplar(world) -> None:
    CalibrationExemplar.objects.create(question=world.question, response=world.other_response,
                                       band=band(world.question, "GOOD"), score=7, chosen_by=world.instructor)


def _exemplar_url(world, suffix: str = "") -> str:
    return f"/grading/exemplars/{CalibrationExemplar.objects.get(question=world.question).pk}/{suffix}"


CASES: list[AccessCase] = [
    AccessCase("grading:double_marking", lambda w: f"/grading/questions/{w.question.pk}/double-marking/",
               INSTRUCTOR_PAGE),
    AccessCase("grading:double_marking_policy", lambda w: f"/grading/questions/{w.question.pk}/double-marking/policy/",
               INSTRUCTOR_POST, method="post", data=lambda w: {"share": 10}),
    AccessCase("grading:second_marking", lambda w: f"/grading/questions/{w.question.pk}/second-marking/", STAFF_PAGE,
               setup=_sampled),
    AccessCase("grading:second_mark", lambda w: f"/grading/responses/{w.response.pk}/second-mark/", STAFF_PAGE,
               setup=_sampled),
    # The instructor gave the first grade, so their second mark is refused (400); the TA's is saved.
    AccessCase("grading:second_mark", lambda w: f"/grading/responses/{w.response.pk}/second-mark/",
               {"anonymous": 302, "ta": 302, "instructor": 400}, method="post", setup=_sampled,
               data=lambda w: {"band": band(w.question, "GOOD").pk, "score": 7}),
    # Outside the sample (no share set), the blind page does not exist for anyone.
    AccessCase("grading:second_mark", lambda w: f"/grading/responses/{w.response.pk}/second-mark/",
               {"anonymous": 302}),
    AccessCase("grading:agreement", lambda w: f"/grading/{w.course.slug}/agreement/", INSTRUCTOR_PAGE,
               setup=_disagreeing),
    AccessCase("grading:moderation", lambda w: f"/grading/{w.course.slug}/moderation/", INSTRUCTOR_PAGE,
               setup=_disagreeing),
    AccessCase("grading:moderate", lambda w: f"/grading/responses/{w.response.pk}/moderate/", INSTRUCTOR_PAGE,
               setup=_disagreeing),
    AccessCase("grading:moderate", lambda w: f"/grading/responses/{w.response.pk}/moderate/", INSTRUCTOR_POST,
               method="post", setup=_disagreeing,
               data=lambda w: {"band": band(w.question, "GOOD").pk, "score": 7, "feedback": "", "version": 1}),
    AccessCase("grading:exemplars", lambda w: f"/grading/questions/{w.question.pk}/exemplars/", INSTRUCTOR_PAGE,
               setup=_exemplar),
    AccessCase("grading:exemplar_add", lambda w: f"/grading/questions/{w.question.pk}/exemplars/add/",
               INSTRUCTOR_POST, method="post",
               data=lambda w: {"response": w.response.pk, "band": band(w.question, "GOOD").pk, "score": 7}),
    AccessCase("grading:exemplar_remove", lambda w: _exemplar_url(w, "remove/"), INSTRUCTOR_POST, method="post",
               setup=_exemplar),
    AccessCase("grading:calibration", lambda w: f"/grading/questions/{w.question.pk}/calibration/", STAFF_PAGE,
               setup=_exemplar),
    AccessCase("grading:calibrate", _exemplar_url, STAFF_PAGE, setup=_exemplar),
    AccessCase("grading:calibrate", _exemplar_url, STAFF_POST, method="post", setup=_exemplar,
               data=lambda w: {"band": band(w.question, "GOOD").pk, "score": 8}),
]
