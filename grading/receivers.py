"""What grading does when courses says a question's rubric is changing (courses.signals)."""

from __future__ import annotations

from django.db import transaction

from courses.models import Question
from grading.models import Grade
from grading.services import grades_flag_for_review


def flag_grades_before_rubric_change(sender, *, question: Question, actor, reason: str, **kwargs) -> int:
    """Flag every grade of the question for review, before the new rubric is written; returns how many."""
    return grades_flag_for_review(question=question, actor=actor, reason=reason)


@transaction.atomic
def realign_grades_after_rubric_change(sender, *, question: Question, **kwargs) -> int:
    """Put each grade whose band no longer covers its score on the band that does; returns how many moved."""
    bands = list(question.bands.all())
    moved = []
    for grade in Grade.objects.select_for_update().filter(response__question=question).select_related("band"):
        score = min(grade.score, question.points)
        if not grade.band.min_points <= score <= grade.band.max_points:
            grade.band = next(band for band in bands if band.min_points <= score <= band.max_points)
            moved.append(grade)
    Grade.objects.bulk_update(moved, ["band"])
    return len(moved)
