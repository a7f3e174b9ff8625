"""The gradebook's column layout and the streamed CSV export (plain and Canvas).

The export never holds the whole course in memory: students come from a
server-side cursor (`.iterator(chunk_size=...)`) and their grades are fetched
one batch of students at a time, so memory depends on the batch size only.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.contrib.auth import get_user_model

from courses.csv_safety import neutralise
from courses.deadlines import penalised_score, penalty_percent
from courses.models import Course, EnrollmentStatus, LatePolicy, Question, Role
from grading.models import Grade

FORMATS = ("csv", "canvas")
GRADE_SCOPES = ("all", "released")
STUDENT_BATCH = 200
CURSOR_CHUNK = 2000

# Canvas reads a trailing "(123)" in an assignment column as the id of an existing assignment.
_CANVAS_ID_SUFFIX = re.compile(r"\s*\(\d+\)\s*$")


@dataclass(frozen=True)
class QuestionColumn:
    question_id: int
    module_number: int
    number: int
    grade_id: str
    title: str
    points: int
    released: bool
    module_id: int = 0
    late_policy: str = LatePolicy.REJECT
    late_penalty_per_day: int = 0
    late_penalty_cap: int = 0

    @property
    def has_penalty(self) -> bool:
        return self.late_policy == LatePolicy.PENALTY

    def score(self, score: int, late_seconds: int | None) -> int | Decimal:
        """The score the gradebook and exports use: after the late penalty (courses.deadlines), an int if whole."""
        percent = penalty_percent(self, late_seconds)
        if not percent:
            return score
        kept = penalised_score(score, percent)
        return int(kept) if kept == kept.to_integral_value() else kept

    @property
    def short(self) -> str:
        return f"M{self.module_number:02d} Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.short} {self.grade_id} ({self.points})"


@dataclass
class ModuleColumn:
    number: int
    title: str
    questions: list[QuestionColumn] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(q.points for q in self.questions)

    @property
    def label(self) -> str:
        return f"M{self.number:02d} total ({self.points})"


@dataclass
class Layout:
    modules: list[ModuleColumn]

    @property
    def questions(self) -> list[QuestionColumn]:
        return [q for m in self.modules for q in m.questions]

    @property
    def points(self) -> int:
        return sum(m.points for m in self.modules)

    @property
    def total_label(self) -> str:
        return f"Total ({self.points})"


def gradebook_layout(course: Course) -> Layout:
    """Modules and their questions in course order, with release state; one query."""
    rows = (
        Question.objects.filter(module__course=course)
        .order_by("module__number", "number")
        .values("id", "number", "grade_id", "title", "points", "module__number", "module__title",
                "release__released", "module_id", "late_policy", "late_penalty_per_day", "late_penalty_cap")
    )
    modules: dict[int, ModuleColumn] = {}
    for row in rows:
        module = modules.setdefault(row["module__number"], ModuleColumn(row["module__number"], row["module__title"]))
        module.questions.append(QuestionColumn(
            question_id=row["id"], module_number=row["module__number"], number=row["number"],
            grade_id=row["grade_id"], title=row["title"], points=row["points"],
            released=bool(row["release__released"]), module_id=row["module_id"], late_policy=row["late_policy"],
            late_penalty_per_day=row["late_penalty_per_day"], late_penalty_cap=row["late_penalty_cap"],
        ))
    return Layout(list(modules.values()))


def totals(layout: Layout, scores: dict[int, int | Decimal]) -> tuple[list[int | Decimal | None],
                                                                       int | Decimal | None]:
    """Module totals and the course total of the graded questions; None where nothing is graded."""
    module_totals = []
    for module in layout.modules:
        graded = [scores[q.question_id] for q in module.questions if q.question_id in scores]
        module_totals.append(sum(graded) if graded else None)
    graded_modules = [t for t in module_totals if t is not None]
    return module_totals, (sum(graded_modules) if graded_modules else None)


def canvas_assignment_name(column: QuestionColumn) -> str:
    # No "(id)" suffix: Canvas then creates a new assignment instead of matching an unrelated one.
    return _CANVAS_ID_SUFFIX.sub("", f"{column.short} {column.title}")


def _batched(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def export_rows(
    course: Course,
    *,
    fmt: str = "csv",
    grades: str = "all",
    student_batch: int = STUDENT_BATCH,
    chunk_size: int = CURSOR_CHUNK,
) -> Iterator[list]:
    """Rows of the grade export, header first, one row per enrolled student ordered by username.

    `grades="released"` leaves the questions whose grades are not released blank.
    Every score is after its late penalty (courses.deadlines, from the answer's lateness against the
    student's own deadline); in the plain CSV a column whose question has a penalty policy, and a total
    that includes one, ends in "after late penalty". Canvas's assignment names stay as they are, so
    Canvas keeps matching them; its cells are penalised all the same.
    Canvas layout (the gradebook import's documented columns: Student, ID,
    SIS User ID, SIS Login ID, Section, then one column per assignment, with a
    "Points Possible" row under the header; see Canvas's "How do I import grades
    in the Gradebook?" guide and e.g. teaching.resources.osu.edu "Import CSV File
    for Carmen Grades"): our username is the institution login, so it goes in
    SIS Login ID; the Canvas ID and SIS User ID are unknown here and left blank,
    and Canvas matches on the login. Totals are left out of the Canvas file,
    since Canvas would import each extra column as a new assignment.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if grades not in GRADE_SCOPES:
        raise ValueError(f"Unknown grade scope {grades!r}; use one of {', '.join(GRADE_SCOPES)}.")
    layout = gradebook_layout(course)
    columns = layout.questions
    if fmt == "canvas":
        yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *map(canvas_assignment_name, columns)]
        yield ["Points Possible", "", "", "", "", *(c.points for c in columns)]
    else:
        # Scores are after any late penalty; a column whose question has one says so, as do totals that include one.
        note = " after late penalty"
        yield ["identifier", "name", "email",
               *(f"{c.label}{note if c.has_penalty else ''}" for c in columns),
               *(f"{m.label}{note if any(q.has_penalty for q in m.questions) else ''}" for m in layout.modules),
               f"{layout.total_label}{note if any(c.has_penalty for c in columns) else ''}"]
    hidden = {c.question_id for c in columns if grades == "released" and not c.released}
    by_id = {c.question_id: c for c in columns}

    students = (
        get_user_model().objects.filter(enrollments__course=course, enrollments__role=Role.STUDENT,
                                        enrollments__status=EnrollmentStatus.ACTIVE)
        .order_by("username", "id")
        .values_list("id", "username", "first_name", "last_name", "email")
        .iterator(chunk_size=chunk_size)
    )
    for batch in _batched(students, student_batch):
        scores: dict[int, dict[int, int]] = {row[0]: {} for row in batch}
        graded = (
            Grade.objects.filter(response__student_id__in=list(scores), response__question__module__course=course)
            .values_list("response__student_id", "response__question_id", "score", "response__late_seconds")
            .iterator(chunk_size=chunk_size)
        )
        for student_id, question_id, score, late_seconds in graded:
            if question_id not in hidden:
                scores[student_id][question_id] = by_id[question_id].score(score, late_seconds)
        for student_id, username, first_name, last_name, email in batch:
            mine = scores[student_id]
            cells = [mine.get(c.question_id, "") for c in columns]
            if fmt == "canvas":
                sortable = f"{last_name}, {first_name}" if last_name and first_name else (last_name or first_name
                                                                                         or username)
                yield [sortable, "", "", username, "", *cells]
            else:
                module_totals, total = totals(layout, mine)
                name = f"{first_name} {last_name}".strip()
                yield [username, name, email, *cells,
                       *("" if t is None else t for t in module_totals), "" if total is None else total]


class _Echo:
    """A file-like object whose write() hands back the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def export_lines(course: Course, **options) -> Iterator[str]:
    """The export as CSV text, one line at a time, every text cell made inert for spreadsheets."""
    writer = csv.writer(_Echo())
    for row in export_rows(course, **options):
        yield writer.writerow([neutralise(cell) for cell in row])
