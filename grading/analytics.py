"""Grading analytics for a course: per-question distributions, per-grader averages and grader drift.

Everything comes from three queries whatever the course's size: the rubric bands, one pass over
the submitted answers grouped by question, band, score and grader, and (for drift) the grades'
scores in grading order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils.safestring import SafeString, mark_safe

from courses.models import Course, Response, ResponseStatus, RubricBand
from grading.calibration import calibration_errors
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

    @property
    def width(self) -> str:
        return f"{self.percent:.1f}"


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

    def __str__(self) -> str:
        return f"{self.username}: {self.count} graded, mean {self.mean:.2f}"


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
    drift: Drift | None = None  # set by attach_drift

    @property
    def svg(self) -> SafeString:
        """The score histogram as inline SVG (numbers only, so nothing needs escaping)."""
        height = CHART_HEIGHT + 14
        label = ", ".join(f"{bar.score}: {bar.count}" for bar in self.bars)
        parts = [
            f'<svg class="histogram" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" '
            f'role="img" aria-label="Score histogram of {self.column.short}: {label}">'
        ]
        for bar in self.bars:
            parts.append(
                f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}">'
                f"<title>score {bar.score}: {bar.count}</title></rect>"
                f'<text x="{bar.x}" y="{CHART_HEIGHT + 11}">{bar.score}</text>'
            )
        parts.append("</svg>")
        return mark_safe("".join(parts))


@dataclass
class GraderReport:
    username: str
    count: int
    questions: int
    mean_percent: float
    difference: float  # mean of (this grader's score − the question's mean), in points
    verdict: str
    calibrated: int = 0  # exemplars graded in calibration rounds
    calibration_error: float | None = None  # their mean absolute difference from the reference scores

    @property
    def difference_display(self) -> str:
        return f"{self.difference:+.2f}"


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
    """The analytics report of `course` (3 queries: bands, one grouped pass over the answers, and the
    calibration attempts)."""
    question_ids = [c.question_id for c in layout.questions]
    bands_of: dict[int, list[RubricBand]] = defaultdict(list)
    for band in RubricBand.objects.filter(question_id__in=question_ids).order_by("question_id", "position"):
        bands_of[band.question_id].append(band)

    # One pass over the submitted answers, grouped finely enough to derive every figure below.
    by_score: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_band: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    submitted: dict[int, int] = defaultdict(int)
    word_sums: dict[int, int] = defaultdict(int)
    per_grader: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for question_id, band_id, score, grader, count, word_sum in (
        Response.objects.filter(question_id__in=question_ids, status=ResponseStatus.SUBMITTED).order_by()
        .values_list("question_id", "grade__band_id", "grade__score", "grade__graded_by__username")
        .annotate(n=Count("id"), words=Sum("submitted_word_count"))
    ):
        submitted[question_id] += count
        word_sums[question_id] += word_sum or 0
        if score is None:
            continue
        by_score[question_id][score] += count
        by_band[question_id][band_id] += count
        per_grader[grader, question_id][0] += count
        per_grader[grader, question_id][1] += score * count
    grader_lines: dict[int, list[GraderLine]] = defaultdict(list)
    for (username, question_id), (count, total) in per_grader.items():
        grader_lines[question_id].append(GraderLine(username, count, total / count))

    reports = []
    means: dict[int, float] = {}
    for column in layout.questions:
        qid = column.question_id
        counts = by_score.get(qid, {})
        graded = sum(counts.values())
        report = QuestionReport(column=column, graded=graded, submitted=submitted.get(qid, 0))
        if graded:
            means[qid] = sum(score * n for score, n in counts.items()) / graded
            report.mean = means[qid]
        if report.submitted:
            report.average_words = word_sums[qid] / report.submitted
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
    for (username, question_id), (count, total) in per_grader.items():
        acc = sums[username]
        acc["n"] += count
        acc["score"] += total
        acc["points"] += count * points.get(question_id, 0)
        acc["diff"] += total - count * means.get(question_id, 0)
        acc["q"] += 1
    calibrated = calibration_errors(course)
    for username in calibrated.keys() - sums.keys():
        sums[username]  # a grader who calibrated but has not graded yet still gets a line
    graders = []
    for username, acc in sorted(sums.items()):
        difference = acc["diff"] / acc["n"] if acc["n"] else 0.0
        verdict = ""
        if acc["n"] >= OUTLIER_MIN_GRADES and difference <= -OUTLIER_POINTS:
            verdict = "harsher than the others"
        elif acc["n"] >= OUTLIER_MIN_GRADES and difference >= OUTLIER_POINTS:
            verdict = "more lenient than the others"
        graders.append(GraderReport(
            username=username, count=int(acc["n"]), questions=int(acc["q"]),
            mean_percent=100 * acc["score"] / acc["points"] if acc["points"] else 0.0,
            difference=difference, verdict=verdict,
            calibrated=calibrated.get(username, (0, None))[0], calibration_error=calibrated.get(username, (0, None))[1],
        ))
    return CourseReport(
        questions=reports, graders=graders,
        graded=sum(r.graded for r in reports), submitted=sum(r.submitted for r in reports),
    )


# ---- grader drift: each grader's mean score over successive blocks of their grades ------------------------------

DRIFT_BLOCK = 10
DRIFT_COLOURS = 6  # CSS classes drift-0 … drift-5, reused in turn
DRIFT_LEFT = 22  # room for the score labels
DRIFT_TOP = 6


@dataclass
class DriftLine:
    """One grader's block means, in grading order, and where they fall on the chart."""

    username: str
    css: str
    means: list[float]
    counts: list[int]
    coordinates: list[tuple[float, float]] = field(default_factory=list)

    @property
    def points(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.coordinates)

    @property
    def table(self) -> list[tuple[float, int]]:
        return list(zip(self.means, self.counts, strict=True))

    @property
    def summary(self) -> str:
        return f"{self.username}: " + ", ".join(f"{mean:.1f}" for mean in self.means)


@dataclass
class Drift:
    """A question's drift chart: a line per grader with two or more blocks of grades."""

    lines: list[DriftLine]
    points: int
    blocks: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT + DRIFT_TOP + 14

    @property
    def label(self) -> str:
        return (f"Mean score per block of {DRIFT_BLOCK} grades, in grading order, out of {self.points}: "
                + "; ".join(line.summary for line in self.lines))

    @property
    def baseline(self) -> float:
        return CHART_HEIGHT + DRIFT_TOP

    @property
    def top(self) -> int:
        return DRIFT_TOP

    @property
    def left(self) -> int:
        return DRIFT_LEFT


def drift_blocks(scores: list[int]) -> tuple[list[float], list[int]]:
    """Means and sizes of successive blocks of DRIFT_BLOCK scores; a last block of fewer than half a block
    joins the one before, so one stray grade can't swing the line's end."""
    blocks = [scores[i:i + DRIFT_BLOCK] for i in range(0, len(scores), DRIFT_BLOCK)]
    if len(blocks) > 1 and len(blocks[-1]) < DRIFT_BLOCK / 2:
        blocks[-2:] = [blocks[-2] + blocks[-1]]
    return [sum(b) / len(b) for b in blocks], [len(b) for b in blocks]


def grader_drift(layout: Layout) -> dict[int, Drift]:
    """Question id → its drift chart, for the questions where some grader has two blocks or more (1 query).

    Grades are taken in the order of `graded_at` (a changed grade counts when it was last changed).
    """
    question_ids = [c.question_id for c in layout.questions]
    points = {c.question_id: c.points for c in layout.questions}
    scores: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for question_id, username, score in (
        Grade.objects.filter(response__question_id__in=question_ids, response__status=ResponseStatus.SUBMITTED)
        .order_by("graded_at", "pk").values_list("response__question_id", "graded_by__username", "score")
    ):
        scores[question_id][username].append(score)
    charts = {}
    for question_id, by_grader in scores.items():
        lines = []
        for username, graded in sorted(by_grader.items()):
            means, counts = drift_blocks(graded)
            if len(means) > 1:
                lines.append(DriftLine(username, f"drift-{len(lines) % DRIFT_COLOURS}", means, counts))
        if not lines:
            continue
        chart = Drift(lines=lines, points=points[question_id] or 1, blocks=max(len(line.means) for line in lines))
        step = (chart.width - DRIFT_LEFT - 4) / (chart.blocks - 1)
        for line in lines:
            line.coordinates = [
                (round(DRIFT_LEFT + i * step, 1), round(chart.baseline - CHART_HEIGHT * mean / chart.points, 1))
                for i, mean in enumerate(line.means)
            ]
        charts[question_id] = chart
    return charts


def attach_drift(report: CourseReport, layout: Layout) -> CourseReport:
    """Give each question of `report` its drift chart, if it has one (1 query)."""
    charts = grader_drift(layout)
    for question in report.questions:
        question.drift = charts.get(question.column.question_id)
    return report
