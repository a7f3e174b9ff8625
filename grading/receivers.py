"""What grading does when courses says a question's rubric is changing (courses.signals)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from courses.models import Course, Question, Response
from courses.rubric import band_for_score
from grading.models import CalibrationExemplar, Comment, DoubleMarkingPolicy, Grade, GradeEvent, GradeEventKind
from grading.selectors import released_grades_for_student, student_grade_context
from grading.services import grades_flag_for_review


def flag_grades_before_rubric_change(sender, *, question: Question, actor, reason: str, **kwargs) -> int:
    """Flag every grade of the question for review, before the new rubric is written; returns how many."""
    return grades_flag_for_review(question=question, actor=actor, reason=reason)


@transaction.atomic
def realign_grades_after_rubric_change(sender, *, question: Question, actor=None, bands=None, gone=frozenset(),
                                       **kwargs) -> int:
    """Put each grade whose band no longer covers its score, or is about to be deleted (`gone`), on the
    band that covers it (of `bands`, else the question's); returns how many moved.

    Each move is audited (GradeEventKind.REALIGNED). Scores and criterion scores are never changed:
    they stay as given against the grade's own rubric version, flagged for a grader to look at again.
    """
    bands = list(question.bands.all()) if bands is None else [band for band in bands if band.pk not in gone]
    moved = []
    events = []
    now = timezone.now()
    grades = Grade.objects.select_for_update(of=("self",)).filter(response__question=question)
    for grade in grades.select_related("band"):
        score = min(grade.score, question.points)
        if grade.band_id in gone or not grade.band.min_points <= score <= grade.band.max_points:
            old_band = grade.band.label
            grade.band = band_for_score(bands, score)
            moved.append(grade)
            events.append(GradeEvent(
                response_id=grade.response_id, actor_id=actor.pk if actor else grade.graded_by_id,
                kind=GradeEventKind.REALIGNED, created_at=now, old_score=grade.score, new_score=grade.score,
                old_band=old_band, new_band=grade.band.label, old_feedback=grade.feedback,
                new_feedback=grade.feedback, old_criterion_scores=grade.criterion_scores,
                new_criterion_scores=grade.criterion_scores, version=grade.version,
                note=f"Moved to the band that now covers {score} points.",
            ))
    Grade.objects.bulk_update(moved, ["band"])
    GradeEvent.objects.bulk_create(events)
    return len(moved)


def copy_comment_bank(sender, *, source: Course, copy: Course, actor, questions: dict[int, Question],
                      **kwargs) -> int:
    """Give each copied question the source question's comment bank (one query each way); returns how many.

    The copy's comments are the actor's: last term's graders are not people of the new course. They
    keep their first-written times, so the bank keeps its order.
    """
    comments = Comment.objects.filter(question__module__course=source).order_by("question_id", "created_at", "id")
    copied = Comment.objects.bulk_create(
        Comment(question=questions[comment.question_id], text=comment.text, created_by=actor,
                created_at=comment.created_at)
        for comment in comments.only("question_id", "text", "created_at")
    )
    return len(copied)


def count_comment_bank(sender, *, source: Course, **kwargs) -> dict[str, int]:
    """What a copy of `source` will take from grading, for the copy's preview."""
    return {"comment-bank comments": Comment.objects.filter(question__module__course=source).count()}


def released_grades(sender, *, student, questions, **kwargs) -> dict:
    """The grades of `questions` that `student` may see: released ones only."""
    return released_grades_for_student(student, questions)


def student_grade_page(sender, *, response, **kwargs) -> dict:
    """What the student's response page shows of its grade (templates/grading/_student_grade.html)."""
    return student_grade_context(response=response)


# The demo's references for calibration on Activations Q2 (student → band, score), and the question double-marked.
DEMO_EXEMPLARS = {"student2": ("EXCELLENT", 10), "student3": ("GOOD", 8), "student4": ("SATISFACTORY", 6)}
DEMO_EXEMPLAR_QUESTION = ("activations", 2)
DEMO_DOUBLE_MARKED_QUESTION = ("activations", 3)


def demo_fairness(sender, *, course: Course, people: dict, **kwargs) -> list[str]:
    """The demo's double marking (every answer of Activations Q3) and calibration exemplars (Activations Q2),
    created once; returns lines to print."""
    instructor = people["instructor"]
    module_slug, number = DEMO_DOUBLE_MARKED_QUESTION
    double = Question.objects.get(module__course=course, module__slug=module_slug, number=number)
    DoubleMarkingPolicy.objects.get_or_create(question=double, defaults={"share": 100, "changed_by": instructor})
    module_slug, number = DEMO_EXEMPLAR_QUESTION
    question = Question.objects.get(module__course=course, module__slug=module_slug, number=number)
    for username, (label, score) in DEMO_EXEMPLARS.items():
        response = Response.objects.filter(question=question, student=people[username]).first()
        if response is None or CalibrationExemplar.objects.filter(response=response).exists():
            continue
        CalibrationExemplar.objects.create(question=question, response=response, band=question.bands.get(label=label),
                                           score=score, chosen_by=instructor)
    return [f"Double marking: every answer of {double}; calibration exemplars: "
            f"{CalibrationExemplar.objects.filter(question=question).count()} on {question}"]
