"""Grading analytics for a course: per-question distributions and per-grader averages.

Everything comes from four grouped queries (bands, grades by question/band/score,
word counts by question, grades by grader/question), whatever the course's size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Sum

from courses.models import Course, Response, ResponseStatus, RubricBand
from grading.export import Layout, QuestionColumn
from grading.models import Grade

# A grader is called harsher or more lenient when their average differs from the
# question means by at least this many points over at least this many grades.
OUTLIER_POINTS = 1.0
OUTLIER_MIN_GRADES = 10
CHART_WIDTH = 264
CHART_HEIGHT = 80


@dataclass
class BandShare:
    label: str
    range_display: str
    count: int
    percent: float


@dataclass
class Bar:
    score: int
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class GraderLine:
    username: str
    count: int
    mean: float


@dataclass
class QuestionReport:
    column: QuestionColumn
    submitted: int = 0
    average_words: float | None = None
    graded: int = 0
    mean: float | None = None
    bands: list[BandShare] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    graders: list[GraderLine] = field(default_factory=list)
    chart_width: int = CHART_WIDTH
    chart_height: int = CHART_HEIGHT


@dataclass
class GraderReport:
    username: str
    count: int
    questions: int
    mean_percent: float
    difference: float  # mean of (this grader's score − the question's mean), in points
    verdict: str


@dataclass
class CourseReport:
    questions: list[QuestionReport]
    graders: list[GraderReport]
    graded: int
    submitted: int


def _bars(counts: dict[int, int], points: int) -> list[Bar]:
    """Histogram bars of scores 0..points scaled into the chart box."""
    slots = points + 1
    width = CHART_WIDTH / slots
    peak = max(counts.values(), default=0) or 1
    bars = []
    for score in range(slots):
        count = counts.get(score, 0)
        height = round(CHART_HEIGHT * count / peak, 1)
        bars.append(Bar(score=score, count=count, x=round(score * width + 1, 1), y=round(CHART_HEIGHT - height, 1),
                        width=round(width - 2, 1), height=height))
    return bars


def course_analytics(course: Course, layout: Layout) -> CourseReport:
    """The analytics report of `course` (4 queries)."""
    in_course = {"response__question__module__course": course}
    bands_of: dict[int, list[RubricBand]] = defaultdict(list)
    for band in RubricBand.objects.filter(question__module__course=course).order_by("question_id", "position"):
        bands_of[band.question_id].append(band)

    by_score: dict[int, dict[int, int]] = defaultdict(dict)
    by_band: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for question_id, band_id, score, count in (
        Grade.objects.filter(**in_course).order_by()
        .values_list("response__question_id", "band_id", "score").annotate(n=Count("id"))
    ):
        by_score[question_id][score] = by_score[question_id].get(score, 0) + count
        by_band[question_id][band_id] += count

    words = {
        row["question_id"]: row
        for row in Response.objects.filter(question__module__course=course, status=ResponseStatus.SUBMITTED)
        .order_by().values("question_id").annotate(n=Count("id"), words=Avg("submitted_word_count"))
    }

    per_grader = list(
        Grade.objects.filter(**in_course).order_by()
        .values_list("graded_by__username", "response__question_id").annotate(n=Count("id"), total=Sum("score"))
    )
    grader_lines: dict[int, list[GraderLine]] = defaultdict(list)
    for username, question_id, count, total in per_grader:
        grader_lines[question_id].append(GraderLine(username, count, total / count))

    reports = []
    means: dict[int, float] = {}
    for column in layout.questions:
        qid = column.question_id
        counts = by_score.get(qid, {})
        graded = sum(counts.values())
        report = QuestionReport(column=column, graded=graded)
        if graded:
            means[qid] = sum(score * n for score, n in counts.items()) / graded
            report.mean = means[qid]
        if qid in words:
            report.submitted, report.average_words = words[qid]["n"], words[qid]["words"]
        report.bands = [
            BandShare(b.label, b.range_display, by_band[qid].get(b.pk, 0),
                      100 * by_band[qid].get(b.pk, 0) / graded if graded else 0.0)
            for b in bands_of.get(qid, [])
        ]
        report.bars = _bars(counts, column.points)
        report.graders = sorted(grader_lines.get(qid, []), key=lambda g: g.username)
        reports.append(report)

    points = {c.question_id: c.points for c in layout.questions}
    sums: dict[str, dict[str, float]] = defaultdict(lambda: {"n": 0, "score": 0, "points": 0, "diff": 0, "q": 0})
    for username, question_id, count, total in per_grader:
        acc = sums[username]
        acc["n"] += count
        acc["score"] += total
        acc["points"] += count * points.get(question_id, 0)
        acc["diff"] += total - count * means.get(question_id, 0)
        acc["q"] += 1
    graders = []
    for username, acc in sorted(sums.items()):
        difference = acc["diff"] / acc["n"]
        verdict = ""
        if acc["n"] >= OUTLIER_MIN_GRADES and difference <= -OUTLIER_POINTS:
            verdict = "harsher than the others"
        elif acc["n"] >= OUTLIER_MIN_GRADES and difference >= OUTLIER_POINTS:
            verdict = "more lenient than the others"
        graders.append(GraderReport(
            username=username, count=int(acc["n"]), questions=int(acc["q"]),
            mean_percent=100 * acc["score"] / acc["points"] if acc["points"] else 0.0,
            difference=difference, verdict=verdict,
        ))
    return CourseReport(
        questions=reports, graders=graders,
        graded=sum(r.graded for r in reports), submitted=sum(r.submitted for r in reports),
    )
