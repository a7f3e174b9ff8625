"""Small builders for grading tests."""

from __future__ import annotations

from courses.models import Question, Response, RubricBand
from grading.models import Grade, RegradeRequest
from grading.services import grade_save, grades_release


def band(question: Question, label: str) -> RubricBand:
    return question.bands.get(label=label)


def grade(response: Response, by, score: int = 9, label: str = "EXCELLENT", feedback: str = "Good work.") -> Grade:
    """Grade `response` through the service, based on whatever version is current."""
    current = Grade.objects.filter(response=response).first()
    return grade_save(
        response_id=response.pk, actor=by, band_id=band(response.question, label).pk, score=score,
        feedback=feedback, base_version=current.version if current else 0,
    )


def release(question: Question, by) -> None:
    grades_release(questions=[question], actor=by, released=True)


def graded_and_released(world) -> Grade:
    """The student's response graded 7 GOOD by the TA and released by the instructor."""
    result = grade(world.response, world.ta, score=7, label="GOOD", feedback="Explain the **exponentials**.")
    release(world.question, world.instructor)
    return result


def with_regrade(world) -> RegradeRequest:
    graded_and_released(world)
    return RegradeRequest.objects.create(response=world.response, reason="I discussed cost.", score_before=7)
