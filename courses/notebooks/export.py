"""Modules back out as nbgrader notebooks, and students' submissions in nbgrader's submitted/ layout.

The written layout is the seed's: per question a locked markdown task cell, then a
graded markdown response cell holding the question's guidance and then the mark
scheme between the BEGIN/END markers. A question whose mark scheme already states
its rubric (bands, or criteria, and notes) is written word for word; otherwise the
rubric is written out after the mark scheme's own text, so an import of the export
always gives back the same points, rubric and notes. The module's reflection intro
and summary are markdown cells before the first question and after the last.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jupytext
import nbformat
from django.db.models import Prefetch

from courses.models import Module, Question, Response, ResponseStatus, RubricBand, RubricCriterion, RubricKind
from courses.notebooks.parse import (
    BEGIN_MARKER,
    DEFAULT_MAX_WORDS,
    DEFAULT_MIN_WORDS,
    END_MARKER,
    NOTES_MARKER,
    RESPONSE_PLACEHOLDER,
    BandDraft,
    CriterionDraft,
    band_line,
    criterion_line,
    read_rubric,
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
    """The module's questions with their bands and criteria, in three queries."""
    return list(module.questions.order_by("number").prefetch_related(
        Prefetch("bands", queryset=RubricBand.objects.order_by("position")),
        Prefetch("criteria", queryset=RubricCriterion.objects.order_by("position"))))


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


def mark_scheme_text(question: Question, bands: list[RubricBand], criteria: list[RubricCriterion] = ()) -> str:
    """The text between the mark-scheme markers; the stored mark scheme when importing it gives back this rubric."""
    wanted = sorted((BandDraft(b.label, b.min_points, b.max_points, b.description) for b in bands),
                    key=lambda b: -b.min_points)
    wanted_criteria = [CriterionDraft(" ".join(c.description.split()), c.max_points, c.levels.strip("\n"))
                       for c in criteria]
    uses_criteria = question.rubric_kind == RubricKind.CRITERIA
    notes = question.rubric_notes.strip()
    found = read_rubric(question.mark_scheme)
    stated = sorted(found.bands, key=lambda b: -b.min_points)
    if found.total in (None, question.points) and found.notes == notes:
        if uses_criteria and not stated and found.criteria == wanted_criteria:
            return question.mark_scheme.strip()
        if not uses_criteria and stated and stated == wanted:
            return question.mark_scheme.strip()
        # A rubric without bands imports with the scaled standard bands, so those need no restating.
        if not uses_criteria and not stated and not found.criteria and wanted == scaled_standard_bands(question.points):
            return question.mark_scheme.strip()
    own_text = []
    for line in question.mark_scheme.strip().splitlines():
        if (stated_total(line) is not None or band_line(line) or criterion_line(line)
                or line.strip(" \t") == NOTES_MARKER):
            break
        own_text.append(line)
    blocks = ["\n".join(own_text).strip()] if "\n".join(own_text).strip() else []
    if uses_criteria:
        lines = ["GRADING RUBRIC (Instructor Use):"]
        for criterion in wanted_criteria:
            lines.append(f"- {criterion.description} ({criterion.max_points} points)")
            lines += [f"  {line}".rstrip() for line in criterion.levels.splitlines()]
        blocks.append("\n".join(lines))
    else:
        blocks.append(f"GRADING CRITERIA ({question.points} points total):")
        for band in wanted:
            blocks.append(f"{band.label} ({band.range_text}):" + (f"\n{band.description}" if band.description else ""))
    if notes:
        blocks.append(f"{NOTES_MARKER}\n{notes}")
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
    items = [(question, list(question.bands.all()), list(question.criteria.all())) for question in questions]
    return build_notebook(intro, items, answers=answers, reflection_intro=module.reflection_intro,
                          reflection_summary=module.reflection_summary)


def build_notebook(intro: str, items: list[tuple], *, answers: dict[int, str] | None = None,
                   reflection_intro: str = "", reflection_summary: str = "") -> nbformat.NotebookNode:
    """A validated notebook of (question, bands[, criteria]) items: task cell then response cell for each,
    between the reflection intro and summary cells."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells.append(nbformat.v4.new_markdown_cell(intro, id="module-intro"))
    if reflection_intro.strip():
        notebook.cells.append(nbformat.v4.new_markdown_cell(reflection_intro.strip(), id="reflection-intro"))
    used = {item[0].grade_id for item in items}
    for question, bands, *rest in items:
        criteria = rest[0] if rest else []
        task_id = task_grade_id(question)
        while task_id in used:
            task_id = f"{task_id}-task"[-100:]
        used.add(task_id)
        notebook.cells.append(nbformat.v4.new_markdown_cell(
            question_markdown(question), metadata=_nbgrader(task_id, task=True), id=_cell_id(task_id)))
        if answers is None:
            guidance = f"{question.guidance.strip()}\n\n" if question.guidance.strip() else ""
            body = (f"{guidance}{BEGIN_MARKER}\n{mark_scheme_text(question, bands, criteria)}\n{END_MARKER}\n\n"
                    f"**Your Response:**\n{RESPONSE_PLACEHOLDER}")
        else:
            body = f"**Your Response:**\n{answers.get(question.pk) or RESPONSE_PLACEHOLDER}"
        notebook.cells.append(nbformat.v4.new_markdown_cell(
            body, metadata=_nbgrader(question.grade_id, task=False, points=question.points),
            id=_cell_id(question.grade_id)))
    if reflection_summary.strip():
        notebook.cells.append(nbformat.v4.new_markdown_cell(reflection_summary.strip(), id="reflection-summary"))
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
