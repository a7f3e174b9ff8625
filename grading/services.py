"""Writes of grading state: every change is atomic and leaves an audit row."""

from __future__ import annotations

from django.db import transaction

from courses.models import Question
from grading.models import Grade, GradeEvent, GradeEventKind


@transaction.atomic
def grades_flag_for_review(*, question: Question, actor, reason: str) -> int:
    """Mark every grade of `question` for review (after its rubric changed); returns how many."""
    grades = list(Grade.objects.select_for_update().filter(response__question=question).select_related("band"))
    for grade in grades:
        grade.needs_review = True
        grade.review_reason = reason[:300]
        GradeEvent.objects.create(
            response_id=grade.response_id, actor=actor, kind=GradeEventKind.FLAGGED,
            old_score=grade.score, new_score=grade.score, old_band=grade.band.label, new_band=grade.band.label,
            old_feedback=grade.feedback, new_feedback=grade.feedback, version=grade.version, note=reason[:300],
        )
    Grade.objects.filter(pk__in=[g.pk for g in grades]).update(needs_review=True, review_reason=reason[:300])
    return len(grades)
