"""Staff pages over a whole course: the gradebook, its CSV export and grading analytics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Ceil, Least
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from courses.deadlines import applicable_extension, format_score
from courses.models import Course, EnrollmentStatus, Extension, Response, ResponseStatus, Role
from grading import double_marking, selectors
from grading.analytics import DRIFT_BLOCK, attach_drift, course_analytics
from grading.export import FORMATS, GRADE_SCOPES, Layout, export_lines, gradebook_layout, totals
from grading.models import Grade, RegradeStatus

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
NAME_ORDER = ("last_name", "first_name", "username", "id")


def _get_course_for_staff(request: HttpRequest, slug: str) -> Course:
    """The course if the user is one of its TAs or instructors; anyone else gets a 404 (one query)."""
    course, _role = selectors.course_for_staff(request.user, slug)
    return course


def _closed_while_double_marking(request: HttpRequest, course: Course, role: str) -> HttpResponse | None:
    """Every first grade is in the gradebook and its export, so a TA, who may be an answer's blind second
    marker, gets them only once no answer waits for its second mark; the page says so (instructors always pass)."""
    if role != Role.TA:
        return None
    waiting = double_marking.awaiting_second_mark(course)
    if not waiting:
        return None
    return render(request, "grading/gradebook_blind.html", {"course": course, "waiting": waiting}, status=403)


def _students(course: Course, *, dropped: bool = False) -> QuerySet:
    """The course's active students, or with `dropped` only those dropped (their grades are kept)."""
    status = EnrollmentStatus.DROPPED if dropped else EnrollmentStatus.ACTIVE
    return get_user_model().objects.filter(enrollments__course=course, enrollments__role=Role.STUDENT,
                                           enrollments__status=status)


@dataclass
class Cell:
    text: str = ""
    css: str = ""
    title: str = ""
    late: bool = False
    extended: bool = False
    regrade: str = ""
    review: bool = False  # flagged: grading.selectors.flagged(), as the course overview counts it
    url: str = ""  # the staff grading page of the answer, when there is one

    def html(self) -> str:
        # Built here rather than in the template: a page has thousands of cells and the template engine
        # would spend most of the request on them. Each marker has its words for screen readers beside the
        # letter the legend explains.
        markers = ""
        if self.extended:
            markers += _marker("extended", "E", "extended deadline")
        if self.late:
            markers += _marker("late", "L", "late")
        if self.regrade:
            answered = "" if self.regrade == RegradeStatus.OPEN else " answered"
            markers += _marker(f"regrade{answered}", "R", f"regrade {escape(self.regrade)}")
        if self.review:
            markers += _marker("review", "!", "flagged for review")
        text = escape(self.text)
        if self.url:
            shown = text or '<span aria-hidden="true">–</span><span class="visually-hidden">not graded</span>'
            text = f'<a href="{escape(self.url)}">{shown}</a>'
        return f'<td class="num {self.css}" title="{escape(self.title)}">{text}{markers}</td>'


def _marker(css: str, letter: str, words: str) -> str:
    return (f'<span class="mk {css}" title="{words}"><span aria-hidden="true">{letter}</span>'
            f'<span class="visually-hidden"> {words}</span></span>')


@dataclass
class Row:
    student: dict
    cells: list[Cell] = field(default_factory=list)
    total: int | Decimal | None = None

    @property
    def total_display(self) -> str:
        return "" if self.total is None else format_score(self.total)

    @property
    def cells_html(self) -> SafeString:
        return mark_safe("".join(cell.html() for cell in self.cells))  # every value is escaped in Cell.html


def _sort_keys(layout: Layout) -> dict[str, str]:
    """Every sort key the page accepts → what the page calls it."""
    keys = {"name": "name", "total": "course total"}
    for module in layout.modules:
        keys[f"m{module.number}"] = f"module {module.number} total"
        for column in module.questions:
            keys[f"q{column.question_id}"] = column.short
    return keys


def _ordered(students: QuerySet, layout: Layout, key: str, descending: bool) -> QuerySet:
    """Students in the requested order; blanks (nothing graded) always last, ties broken by name."""
    if key == "name":
        return students.order_by(*(f"-{f}" if descending else f for f in NAME_ORDER))
    if key.startswith("q"):
        column = next(c for c in layout.questions if f"q{c.question_id}" == key)
        sort_value = Subquery(
            Grade.objects.filter(response__student=OuterRef("pk"), response__question_id=column.question_id)
            .annotate(kept=_kept_score([column], "score", "response__late_seconds", "response__question_id"))
            .values("kept")[:1]
        )
    else:
        # Filtering on the layout's question ids spares the joins to questions and modules.
        modules = layout.modules if key == "total" else [m for m in layout.modules if f"m{m.number}" == key]
        columns = [q for m in modules for q in m.questions]
        sort_value = Sum(_kept_score(columns, "responses__grade__score", "responses__late_seconds",
                                     "responses__question_id"),
                         filter=Q(responses__question_id__in=[c.question_id for c in columns]))
    value = F("sort_value")
    return students.annotate(sort_value=sort_value).order_by(
        value.desc(nulls_last=True) if descending else value.asc(nulls_last=True), *NAME_ORDER
    )


def _kept_score(columns, score: str, late_seconds: str, question_id: str):
    """SQL for the score after the late penalty (as courses.deadlines.penalty_percent), for sorting.

    One branch per penalty question of the layout, so it needs no join to the questions; the plain
    score when none has a penalty.
    """
    penalised = [c for c in columns if c.has_penalty]
    if not penalised:
        return F(score)
    days = Ceil(Cast(F(late_seconds), FloatField()) / Value(86_400.0))
    percent = Case(
        *(When(Q(**{question_id: c.question_id, f"{late_seconds}__gt": 0}),
               then=Least(Value(float(c.late_penalty_cap)), days * Value(float(c.late_penalty_per_day))))
          for c in penalised),
        default=Value(0.0), output_field=FloatField(),
    )
    return ExpressionWrapper(Cast(F(score), FloatField()) * (Value(100.0) - percent) / Value(100.0),
                             output_field=FloatField())


def _rows(layout: Layout, students: list[dict], extensions: list[Extension]) -> list[Row]:
    """One row per student with a cell per question and module total; one query for all cells.

    `students` carry their `section_id`; `extensions` are the course's, newest first, for the E marker.
    """
    found = (
        Response.objects.filter(student_id__in=[s["id"] for s in students],
                                question_id__in=[c.question_id for c in layout.questions])
        .order_by()
        .annotate(flagged=ExpressionWrapper(selectors.flagged(), output_field=BooleanField()))
        .values_list("student_id", "question_id", "status", "is_late", "grade__score", "flagged",
                     "regrade_request__status", "late_seconds", "id")
    )
    grade_url = reverse("grading:grade", args=[0]).replace("/0/", "/{}/")
    by_student: dict[int, dict[int, tuple]] = {s["id"]: {} for s in students}
    for student_id, question_id, *rest in found:
        by_student[student_id][question_id] = rest
    columns = {c.question_id: c for c in layout.questions}
    rows = []
    for student in students:
        mine = by_student[student["id"]]
        scores = {qid: columns[qid].score(r[2], r[5]) for qid, r in mine.items() if r[2] is not None}
        module_totals, total = totals(layout, scores)
        row = Row(student=student, total=total)
        sections = {student["section_id"]} - {None}
        for module, module_total in zip(layout.modules, module_totals, strict=True):
            for column in module.questions:
                status, late, score, review, regrade, late_seconds, response_id = mine.get(
                    column.question_id, (None, False, None, False, None, None, None))
                if score is not None:
                    kept = scores[column.question_id]
                    title = f"{column.short}: {format_score(kept)}/{column.points}"
                    if kept != score:
                        title += f" after the late penalty ({score} before)"
                    cell = Cell(text=format_score(kept), css="graded", title=title)
                elif status == ResponseStatus.SUBMITTED:
                    cell = Cell(css="ungraded", title=f"{column.short}: submitted, not graded")
                else:
                    cell = Cell(css="missing", title=f"{column.short}: nothing submitted")
                cell.late, cell.review, cell.regrade = bool(late), bool(review), regrade or ""
                if status == ResponseStatus.SUBMITTED:
                    cell.url = grade_url.format(response_id)
                if extensions:
                    extension = applicable_extension(extensions, column.question_id, column.module_id,
                                                     student["id"], sections)
                    cell.extended = bool(extension and extension.due_at)
                    if cell.extended:
                        cell.title += ", extended deadline"
                row.cells.append(cell)
            row.cells.append(Cell(text="" if module_total is None else format_score(module_total),
                                  css="module-total", title=f"Module {module.number} total"))
        rows.append(row)
    return rows


@login_required
@require_GET
def gradebook(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Students × questions with module and course totals, sortable on the server, a page of students at a time."""
    course, role = selectors.course_for_staff(request.user, course_slug)
    if closed := _closed_while_double_marking(request, course, role):
        return closed
    layout = gradebook_layout(course)
    keys = _sort_keys(layout)
    requested = request.GET.get("sort", "name")
    sort_error = ""
    if requested.removeprefix("-") not in keys:
        sort_error = f"Unknown sort “{requested[:40]}”; sorted by name instead."
        requested = "name"
    key, descending = requested.removeprefix("-"), requested.startswith("-")

    try:
        per_page = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        per_page = DEFAULT_PAGE_SIZE
    per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
    show_dropped = request.GET.get("dropped") == "1"
    students = _students(course, dropped=show_dropped)
    count = students.count()
    num_pages = max(1, math.ceil(count / per_page))
    try:
        page = min(max(1, int(request.GET.get("page", 1))), num_pages)
    except ValueError:
        page = 1
    offset = (page - 1) * per_page
    page_students = list(
        _ordered(students, layout, key, descending)[offset: offset + per_page]
        # The section of this course's enrollment (the filter's join), for the extended-deadline marker.
        .values("id", "username", "first_name", "last_name", "email", section_id=F("enrollments__section_id"))
    )
    extensions = list(Extension.objects.filter(course=course).order_by("-created_at", "-id")
                      .only("question_id", "module_id", "student_id", "section_id", "due_at"))

    def link(**params) -> str:
        query = {"sort": requested, "per_page": per_page, "page": page, "dropped": "1" if show_dropped else "",
                 **params}
        return "?" + urlencode({k: v for k, v in query.items() if v not in ("", None)})

    def sort_link(sort_key: str) -> dict:
        active = key == sort_key
        next_sort = sort_key if not active or descending else f"-{sort_key}"
        return {"href": link(sort=next_sort, page=1), "active": active, "descending": active and descending}

    modules = [
        {"module": m, "span": len(m.questions) + 1, "label": m.label,
         "columns": [{"column": c, "sort": sort_link(f"q{c.question_id}")} for c in m.questions],
         "sort": sort_link(f"m{m.number}")}
        for m in layout.modules
    ]
    return render(request, "grading/gradebook.html", {
        "course": course,
        "layout": layout,
        "modules": modules,
        "rows": _rows(layout, page_students, extensions),
        "name_sort": sort_link("name"),
        "total_sort": sort_link("total"),
        "sort_label": keys[key] + (" (high to low)" if descending and key != "name" else ""),
        "sort_error": sort_error,
        "count": count,
        "show_dropped": show_dropped,
        "dropped_href": link(dropped="" if show_dropped else "1", page=1),
        "page": page,
        "num_pages": num_pages,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "sort": requested,
        "previous_href": link(page=page - 1) if page > 1 else "",
        "next_href": link(page=page + 1) if page < num_pages else "",
    })


@login_required
@require_GET
def gradebook_export(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Stream the course's grades as CSV (`?format=csv|canvas`, `?grades=all|released`)."""
    course, role = selectors.course_for_staff(request.user, course_slug)
    if closed := _closed_while_double_marking(request, course, role):
        return closed
    fmt = request.GET.get("format", "csv")
    # Canvas shows imported grades to students at once, so it gets only released grades unless asked otherwise.
    grades = request.GET.get("grades", "released" if fmt == "canvas" else "all")
    if fmt not in FORMATS or grades not in GRADE_SCOPES:
        return HttpResponse(
            f"Unknown export: format must be one of {', '.join(FORMATS)} and grades one of {', '.join(GRADE_SCOPES)}.",
            status=400, content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(export_lines(course, fmt=fmt, grades=grades),
                                     content_type="text/csv; charset=utf-8")
    suffix = "" if grades == "all" else "-released"
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-grades-{fmt}{suffix}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def analytics(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Per question band distribution, score histogram and word counts, per-grader averages and drift."""
    course = _get_course_for_staff(request, course_slug)
    layout = gradebook_layout(course)
    return render(request, "grading/analytics.html", {
        "course": course,
        "report": attach_drift(course_analytics(course, layout), layout),
        "drift_block": DRIFT_BLOCK,
    })
