"""Modules back out as nbgrader notebooks, and students' submissions in nbgrader's submitted/ layout.

The written layout is the seed's: per question a locked markdown task cell, then a
graded markdown response cell holding the mark scheme between the BEGIN/END
markers. A question whose mark scheme already lists its bands is written word for
word; otherwise the bands are written out after the mark scheme's own text, so an
import of the export always gives back the same points and bands.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jupytext
import nbformat
from django.db.models import Prefetch

from courses.models import Module, Question, Response, ResponseStatus, RubricBand
from courses.notebooks.parse import (
    BEGIN_MARKER,
    DEFAULT_MAX_WORDS,
    DEFAULT_MIN_WORDS,
    END_MARKER,
    RESPONSE_PLACEHOLDER,
    BandDraft,
    band_line,
    parse_bands,
    scaled_standard_bands,
    stated_total,
    words_in,
)

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
JUPYTEXT_METADATA = {
    "notebook_metadata_filter": "-all",
    "cell_metadata_filter": "nbgrader,-all",
    "text_representation": {"extension": ".py", "format_name": "percent"},
}
_BLOCK_STARTS = ("```", "~~~", "- ", "* ", "+ ", "#", ">", "<", "|", "    ", "\t", "$$")


def module_questions(module: Module) -> list[Question]:
    """The module's questions with their bands, in two queries."""
    return list(module.questions.order_by("number").prefetch_related(
        Prefetch("bands", queryset=RubricBand.objects.order_by("position"))))


def task_grade_id(question: Question) -> str:
    if "response" in question.grade_id:
        return question.grade_id.replace("response", "task", 1)
    return f"{question.grade_id}-task"[:100]


def _labelled(label: str, text: str) -> str:
    text = text.strip()
    # A block (list, fence, heading) cannot share a line with the label without changing its meaning.
    if text.startswith(_BLOCK_STARTS) or text[:1].isdigit() and "." in text.split("\n", 1)[0][:4]:
        return f"**{label}:**\n{text}"
    return f"**{label}:** {text}"


def question_markdown(question: Question) -> str:
    """The task cell's Markdown: heading, context, question, expected response and word range."""
    parts = [f"### Question {question.number}: {' '.join(question.title.split())}"]
    if question.context.strip():
        parts.append(_labelled("Context", question.context))
    parts.append(_labelled("Question", question.prompt))
    if question.expected_response.strip():
        parts.append(_labelled("Expected Response", question.expected_response))
    implied = words_in(question.expected_response) or (DEFAULT_MIN_WORDS, DEFAULT_MAX_WORDS)
    if implied != (question.min_words, question.max_words):
        parts.append(f"*Target length: {question.min_words}-{question.max_words} words*")
    return "\n\n".join(parts)


def mark_scheme_text(question: Question, bands: list[RubricBand]) -> str:
    """The text between the mark-scheme markers; the stored mark scheme when it already states these bands."""
    wanted = [BandDraft(b.label, b.min_points, b.max_points, b.description) for b in bands]
    total, stated, _ = parse_bands(question.mark_scheme)
    best_first = sorted(wanted, key=lambda b: -b.min_points)
    if total is None or total == question.points:
        if stated and sorted(stated, key=lambda b: -b.min_points) == best_first:
            return question.mark_scheme.strip()
        # A rubric without bands imports with the scaled standard bands, so those need no restating.
        if not stated and best_first == scaled_standard_bands(question.points):
            return question.mark_scheme.strip()
    own_text = []
    for line in question.mark_scheme.strip().splitlines():
        if stated_total(line) is not None or band_line(line):
            break
        own_text.append(line)
    blocks = ["\n".join(own_text).strip()] if "\n".join(own_text).strip() else []
    blocks.append(f"GRADING CRITERIA ({question.points} points total):")
    for band in sorted(wanted, key=lambda b: -b.min_points):
        blocks.append(f"{band.label} ({band.range_text}):" + (f"\n{band.description}" if band.description else ""))
    return "\n\n".join(blocks)


def _nbgrader(grade_id: str, *, task: bool, points: int | None = None) -> dict:
    meta = {"grade": not task, "grade_id": grade_id, "locked": task, "schema_version": 3, "solution": not task,
            "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell_id(grade_id: str) -> str:
    return grade_id if len(grade_id) <= 64 else hashlib.sha1(grade_id.encode()).hexdigest()[:16]


def module_notebook(module: Module, questions: list[Question] | None = None, *,
                    answers: dict[int, str] | None = None) -> nbformat.NotebookNode:
    """The module as a notebook; with `answers` (question id → text) it is a student's submission instead."""
    questions = module_questions(module) if questions is None else questions
    intro = f"# {module.number:02d}. {module.title}"
    if module.summary.strip():
        intro += f"\n\n{module.summary.strip()}"
    items = [(question, list(question.bands.all())) for question in questions]
    return build_notebook(intro, items, answers=answers)


def build_notebook(intro: str, items: list[tuple[Question, list[RubricBand]]], *,
                   answers: dict[int, str] | None = None) -> nbformat.NotebookNode:
    """A validated notebook of (question, bands) pairs: task cell then response cell for each."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells.append(nbformat.v4.new_markdown_cell(intro, id="module-intro"))
    used = {question.grade_id for question, _ in items}
    for question, bands in items:
        task_id = task_grade_id(question)
        while task_id in used:
            task_id = f"{task_id}-task"[-100:]
        used.add(task_id)
        notebook.cells.append(nbformat.v4.new_markdown_cell(
            question_markdown(question), metadata=_nbgrader(task_id, task=True), id=_cell_id(task_id)))
        if answers is None:
            body = (f"{BEGIN_MARKER}\n{mark_scheme_text(question, bands)}\n{END_MARKER}\n\n"
                    f"**Your Response:**\n{RESPONSE_PLACEHOLDER}")
        else:
            body = f"**Your Response:**\n{answers.get(question.pk) or RESPONSE_PLACEHOLDER}"
        notebook.cells.append(nbformat.v4.new_markdown_cell(
            body, metadata=_nbgrader(question.grade_id, task=False, points=question.points),
            id=_cell_id(question.grade_id)))
    nbformat.validate(notebook)
    return notebook


def notebook_text(notebook: nbformat.NotebookNode, fmt: str) -> str:
    """The notebook as .ipynb JSON or as a jupytext percent-format .py file in the seed's style."""
    if fmt == "ipynb":
        return nbformat.writes(notebook)
    if fmt != "py":
        raise ValueError(f"unknown notebook format {fmt!r}")
    copy = nbformat.from_dict(notebook)
    copy.metadata = nbformat.from_dict({"jupytext": JUPYTEXT_METADATA})
    for cell in copy.cells:
        if cell.cell_type == "markdown" and '"""' not in cell.source:
            cell.metadata["cell_marker"] = '"""'
    return jupytext.writes(copy, fmt="py:percent")


def submissions_write(*, module: Module, directory: Path) -> list[Path]:
    """Write each student's submitted answers as submitted/<username>/<module>/<module>.ipynb; returns the paths."""
    questions = module_questions(module)
    responses = (Response.objects.filter(question__module=module, status=ResponseStatus.SUBMITTED)
                 .select_related("student").order_by("student__username", "question__number"))
    by_student: dict = {}
    for response in responses:
        entry = by_student.setdefault(response.student.username, {"answers": {}, "latest": None})
        entry["answers"][response.question_id] = response.submitted_text
        if entry["latest"] is None or response.submitted_at > entry["latest"]:
            entry["latest"] = response.submitted_at
    written = []
    for username, entry in by_student.items():
        folder = Path(directory) / "submitted" / username / module.slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{module.slug}.ipynb"
        path.write_text(notebook_text(module_notebook(module, questions, answers=entry["answers"]), "ipynb"),
                        encoding="utf-8")
        # nbgrader reads the submission time from this file.
        (folder / "timestamp.txt").write_text(entry["latest"].strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")
        written.append(path)
    return written
