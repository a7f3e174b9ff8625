"""Notebook files → question drafts: task cells, response cells, mark schemes and their bands.

Two layouts are understood. The seed layout: a markdown task cell (`"task": true`)
holding `### Question N: Title` and `**Context:**` / `**Question:**` /
`**Expected Response:**` paragraphs, then a graded markdown cell whose mark scheme
sits between `=== BEGIN MARK SCHEME ===` and `=== END MARK SCHEME ===`. The
variant layout: the question in a plain markdown cell, then a graded code cell
whose docstring is the answer area: student-facing scaffolding ("TODO: Replace this
text…", "Consider addressing:" and guiding questions, or `YOUR RESPONSE HERE` and a
bracketed "[Write … Consider: …]" list) followed by a `GRADING RUBRIC` list.

Scaffolding before the rubric, minus boilerplate, is the question's guidance; the rubric
is staff-only. A rubric of bands (`LABEL (LO-HI points):`) is a banded rubric; one of
`- criterion (N points)` bullets is an analytic one, its bullets without points (bonus
lines) and anything after a `RUBRIC NOTES:` line being notes. The plain markdown cell just
before the first question is the reflection section's intro, the one just after the last
answer cell its closing summary. A graded code cell that does not open with a docstring
(an implementation exercise) and locked autograder test cells are not questions.

Cell indexes in messages count from 0, as in the notebook's `cells` list.

Every file here may be hostile, so reading one never raises anything but NotebookError
and takes time linear in its size: every regular expression below is matched against one
line at a time, anchored, with no two quantifiers that can share characters (possessive
where they touch), and numbers go through `_int` rather than `int`. Text that PostgreSQL
cannot store (NUL, lone surrogates), JSON nested past `MAX_DEPTH` and values outside the
ranges of courses.rubric are refused here, so a preview that passes can be applied.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
import tokenize
from dataclasses import dataclass, field

import jupytext
import nbformat
from django.conf import settings

from courses.rubric import (
    BandSpec,
    CriterionSpec,
    criteria_errors,
    number,
    points_errors,
    rubric_errors,
    standard_bands,
    word_limit_errors,
)

DEFAULT_MIN_WORDS, DEFAULT_MAX_WORDS = 150, 300
BEGIN_MARKER = "=== BEGIN MARK SCHEME ==="
END_MARKER = "=== END MARK SCHEME ==="
RESPONSE_PLACEHOLDER = "[Student writes their analysis here - this cell will be editable by students]"
NOTES_MARKER = "RUBRIC NOTES:"
# Rubric kinds, as courses.models.RubricKind stores them.
BANDS, CRITERIA = "bands", "criteria"
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
TITLE_MAX = 200

# JSON nested deeper than this is refused before nbformat (which recurses) sees it; notebooks nest about 10 deep.
MAX_DEPTH = 50
# A band, total or target-length line is short; a longer line is plain text, whatever it looks like.
SHORT_LINE_MAX = 200
MODULE_NUMBER_MAX = 999
# jupytext and nbformat validate cell by cell (about 0.15 ms each) and slow down further with very many cells;
# a course notebook has a few hundred.
MAX_CELLS = 2_000

# Line patterns are used with .fullmatch() on one line stripped of spaces and tabs, so none can be retried
# from many starting points; the few searches over a whole text are anchored at line starts (re.M) or, for
# `_WORDS`, start only at the first digit of a run. Quantifiers that meet are possessive (`*+`, `++`, `?+`).
_SEP = r"[ \t]*+(?:-|–|—|to)[ \t]*+"
_BEGIN = re.compile(r"^[ \t]*+=++[ \t]*+BEGIN MARK SCHEME[ \t]*+=++[ \t]*+$", re.M | re.I)
_END = re.compile(r"^[ \t]*+=++[ \t]*+END MARK SCHEME[ \t]*+=++[ \t]*+$", re.M | re.I)
_HEADING = re.compile(r"#{1,6}+[ \t]++(?P<text>.++)")
_MODULE_TITLE = re.compile(r"#[ \t]++(?:\d++\.[ \t]++)?+(?P<title>.++)")
_QUESTION_HEADING = re.compile(r"Question[ \t]++\d++[ \t]*+[:.\-–—][ \t]*+(?P<title>.++)", re.I)
_WORDS = re.compile(r"(?<!\d)(?P<lo>\d++)" + _SEP + r"(?P<hi>\d++)[ \t]*+words?+\b", re.I)
_TARGET = re.compile(r"[*_]*+[ \t]*+Target length[ \t]*+:[ \t]*+(?P<lo>\d++)" + _SEP + r"(?P<hi>\d++)[ \t]*+words"
                     r"[ \t]*+\.?+[ \t]*+[*_]*+", re.I)
_TOTAL_LINE = re.compile(
    r"GRADING CRITERIA[ \t]*+\([ \t]*+(?P<n>\d++)[ \t]*+points?+(?:[ \t]++total)?+[ \t]*+\)(?:[ \t]*+:)?+", re.I)
_BAND_LINE = re.compile(
    r"(?P<label>[A-Za-z][^()\n:]*+)\([ \t]*+(?P<lo>\d++)(?:" + _SEP + r"(?P<hi>\d++))?+[ \t]*+points?+[ \t]*+\)"
    r"(?:[ \t]*+:)?+")
_CRITERION_POINTS = re.compile(r"\([ \t]*+(?P<n>\d++)[ \t]*+points?+[ \t]*+\)", re.I)
_RUBRIC_HEADING = re.compile(r"^[ \t]*+(?:GRADING RUBRIC|GRADING CRITERIA|MARK SCHEME|RUBRIC)\b", re.M | re.I)
_YOUR_RESPONSE = re.compile(r"^[ \t]*+\*\*Your Response:?+\*\*:?+[ \t]*+$", re.M | re.I)
# Text that marks the staff-only mark scheme; in a question cell students would see it.
_SCHEME_SIGN = re.compile(r"(?:BEGIN|END)[ \t]++MARK[ \t]++SCHEME"
                          r"|^[ \t>#*_]*+(?:GRADING[ \t]++(?:RUBRIC|CRITERIA)|MARK[ \t]++SCHEME)\b", re.M | re.I)
# A line jupytext would start a cell at (a loose superset, to count them before jupytext reads the file).
_CELL_MARKER = re.compile(r"^[ \t]*+#[ \t]*+(?:%%|<codecell>|In\[)", re.M)
# PostgreSQL cannot store NUL, and a lone surrogate is not text any database can encode.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

SECTION_FOR_LABEL = {
    "context": "context",
    "question": "prompt",
    "reflection question": "prompt",
    "prompt": "prompt",
    "expected response": "expected_response",
    "expected answer": "expected_response",
}

def max_bytes() -> int:
    return settings.NOTEBOOK_MAX_BYTES


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in a file, pinned to a cell and grade_id where known."""

    file: str
    reason: str
    cell: int | None = None
    grade_id: str = ""

    def __str__(self) -> str:
        where = [_cut(self.file, 120)]  # a file name is the uploader's text too
        if self.cell is not None:
            where.append(f"cell {self.cell}")
        if self.grade_id:
            where.append(f"grade_id {self.grade_id!r}")
        return f"{', '.join(where)}: {self.reason}"


class NotebookError(Exception):
    """A file that cannot be read as a notebook at all; `problems` says why, one per cell where it can."""

    def __init__(self, problem: Problem, *more: Problem):
        super().__init__("\n".join(str(p) for p in (problem, *more)))
        self.problem = problem
        self.problems = [problem, *more]


@dataclass(frozen=True)
class BandDraft:
    label: str
    min_points: int
    max_points: int
    description: str = ""

    def spec(self) -> BandSpec:
        return BandSpec(self.label, self.min_points, self.max_points)

    @property
    def range_text(self) -> str:
        if self.min_points == self.max_points:
            return f"{self.min_points} points"
        return f"{self.min_points}-{self.max_points} points"


@dataclass(frozen=True)
class CriterionDraft:
    description: str
    max_points: int
    levels: str = ""

    def spec(self) -> CriterionSpec:
        return CriterionSpec(self.description, self.max_points, self.levels)


@dataclass
class QuestionDraft:
    """One question as a notebook describes it; `cell` is the response cell's index."""

    grade_id: str
    cell: int
    title: str
    prompt: str
    points: int
    bands: tuple[BandDraft, ...]
    context: str = ""
    expected_response: str = ""
    mark_scheme: str = ""
    min_words: int = DEFAULT_MIN_WORDS
    max_words: int = DEFAULT_MAX_WORDS
    task_grade_id: str = ""
    number: int = 0
    guidance: str = ""
    rubric_kind: str = BANDS
    criteria: tuple[CriterionDraft, ...] = ()
    rubric_notes: str = ""


@dataclass
class ParsedNotebook:
    """One file's questions; `skipped` says why a readable file holds none (it is then no error)."""

    name: str
    title: str = ""
    questions: list[QuestionDraft] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    reflection_intro: str = ""
    reflection_summary: str = ""
    skipped: str = ""


def read_notebook(name: str, data: bytes) -> nbformat.NotebookNode:
    """The notebook in `data`, validated; NotebookError says why a file is refused."""

    def refuse(reason: str) -> NotebookError:
        return NotebookError(Problem(name, reason))

    limit = max_bytes()
    if len(data) > limit:
        raise refuse(f"the file is larger than the {limit:,}-byte limit for a notebook")
    if not data.strip():
        raise refuse("the file is empty")
    if b"\x00" in data:
        raise refuse("this is a binary file, not a notebook")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("this is a binary file (not UTF-8 text), not a notebook") from None
    lower = name.lower()
    if lower.endswith(".ipynb"):
        notebook = _read_ipynb(text, refuse)
    elif lower.endswith(".py"):
        if sum(1 for _ in _CELL_MARKER.finditer(text)) > MAX_CELLS:
            raise refuse(_TOO_MANY_CELLS)
        try:
            notebook = jupytext.reads(text, fmt="py:percent")
        except RecursionError:
            raise refuse(_TOO_DEEP) from None
        except Exception as error:  # jupytext raises many types for malformed input
            raise refuse(f"jupytext cannot read this percent-format file: {_cut(str(error))}") from None
        if _too_deep(notebook):
            raise refuse(_TOO_DEEP)
    else:
        raise refuse("expected a .ipynb notebook or a jupytext percent-format .py file")
    if problems := _unstorable_text(name, notebook):
        raise NotebookError(*problems)
    return notebook


_TOO_DEEP = f"the JSON nests more than {MAX_DEPTH} levels deep, which no notebook needs"
_TOO_MANY_CELLS = f"the notebook has more than {MAX_CELLS:,} cells; split it into smaller files"


def _read_ipynb(text: str, refuse) -> nbformat.NotebookNode:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise refuse(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise refuse(_TOO_DEEP) from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise refuse(f"not JSON that can be read: {_cut(str(error))}") from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise refuse("not a notebook: the JSON has no cells")
    if _too_deep(raw):
        raise refuse(_TOO_DEEP)
    worksheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else []
    cell_lists = [raw.get("cells")] + [sheet.get("cells") for sheet in worksheets if isinstance(sheet, dict)]
    if sum(len(cells) for cells in cell_lists if isinstance(cells, list)) > MAX_CELLS:
        raise refuse(_TOO_MANY_CELLS)
    version = raw.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        raise refuse("not a notebook: the JSON has no nbformat version")
    if version not in (3, 4):
        raise refuse(f"nbformat version {number(version)} cannot be read (versions 3 and 4 can)")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise refuse(f"not a valid notebook: {_cut(error.message)}") from None
    except Exception as error:  # nbformat's converters raise assorted errors on damaged files
        raise refuse(f"nbformat cannot read this notebook: {_cut(str(error))}") from None
    return notebook


def _too_deep(value) -> bool:
    """Whether JSON-like `value` nests lists and objects more than MAX_DEPTH deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _unstorable_text(name: str, notebook) -> list[Problem]:
    """One problem per cell (and for the notebook's own metadata) holding text a database cannot store."""
    problems = []
    parts = [(None, notebook.get("metadata", {}))] + list(enumerate(notebook.get("cells", [])))
    for index, part in parts:
        stack = [part]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and (found := _UNSTORABLE.search(item)):
                grade_id = _shown_grade_id(part) if index is not None else ""
                problems.append(Problem(name, _unstorable_reason(found.group()), index, grade_id))
                break
    return problems


def _unstorable_reason(char: str) -> str:
    if char == "\x00":
        return "the text holds a NUL character (\\x00), which cannot be stored; remove it"
    return (f"the text holds a lone surrogate (\\u{ord(char):04x}), which is not valid Unicode; "
            "save the file again as UTF-8")


def _shown_grade_id(cell) -> str:
    """The cell's grade_id when it is a valid one, for naming the cell in a message; "" otherwise."""
    value = cell
    for key in ("metadata", "nbgrader", "grade_id"):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and GRADE_ID.match(value) else ""


def _cut(text: str, limit: int = 200) -> str:
    """A message from a library or the file, cut so that a hostile file cannot make the page huge."""
    return text if len(text) <= limit else text[:limit] + "…"


def to_int(digits: str) -> int:
    """`int(digits)` for a run of digits of any length; a run too long for any real value becomes 10**18.

    Python refuses to convert more than 4,300 digits, and every range here is far below 10**18.
    """
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def parse_notebook(name: str, data: bytes) -> ParsedNotebook:
    """Read and parse one file; every problem found lands in `errors` or `warnings`."""
    try:
        notebook = read_notebook(name, data)
    except NotebookError as error:
        return ParsedNotebook(name, errors=list(error.problems))
    return parse_cells(name, notebook.cells)


@dataclass
class _Cell:
    index: int
    kind: str
    source: str
    nbgrader: dict | None


def parse_cells(name: str, cells) -> ParsedNotebook:
    """Pair question cells with graded response cells and parse each pair."""
    result = ParsedNotebook(name)
    seen_ids: dict[str, int] = {}
    pending_task: _Cell | None = None
    plain_markdown: _Cell | None = None
    read: list[_Cell | None] = []
    pairs: list[tuple[_Cell, _Cell]] = []
    for index, cell in enumerate(cells):
        current = _cell(name, index, cell, seen_ids, result)
        read.append(current)
        if current is None:
            continue
        meta = current.nbgrader
        if meta is None:
            if current.kind == "markdown":
                plain_markdown = current
                if not result.title and (title := _module_title(current.source)):
                    result.title = title
            continue
        if meta.get("task"):
            if pending_task is not None:
                result.warnings.append(Problem(
                    name, "task cell without a graded response cell after it; skipped",
                    pending_task.index, pending_task.nbgrader["grade_id"],
                ))
            pending_task, plain_markdown = current, None
            continue
        if not (meta.get("grade") and meta.get("solution")):
            continue  # autograded tests and ungraded solution cells are not written reflections
        if current.kind == "code" and _docstring(current.source) is None:
            continue  # a graded implementation exercise: code, not a written reflection
        question_cell = pending_task
        if question_cell is None and plain_markdown and _looks_like_question(plain_markdown.source):
            question_cell = plain_markdown
        pending_task, plain_markdown = None, None
        if question_cell is None:
            result.errors.append(Problem(
                name, "graded response cell with no question (task or markdown) cell before it",
                current.index, meta["grade_id"],
            ))
            continue
        pairs.append((question_cell, current))
        draft = _question(name, question_cell, current, result, first=len(pairs) == 1)
        if draft is not None:
            draft.number = len(result.questions) + 1
            result.questions.append(draft)
    if pending_task is not None:
        result.warnings.append(Problem(
            name, "task cell without a graded response cell after it; skipped",
            pending_task.index, pending_task.nbgrader["grade_id"],
        ))
    if not pairs and not result.errors:
        result.skipped = "no graded reflection cells (nbgrader grade and solution with written text)"
    if pairs:
        intro = _plain_neighbour(read, pairs[0][0].index, -1)
        lead = split_question(pairs[0][0].source)["lead"]
        result.reflection_intro = "\n\n".join(part for part in (intro, lead) if part)
        result.reflection_summary = _plain_neighbour(read, pairs[-1][1].index, 1)
    return result


def _module_title(source: str) -> str:
    first_line = source.strip().split("\n", 1)[0].strip(" \t")
    title = _MODULE_TITLE.fullmatch(first_line)
    return title["title"].strip()[:TITLE_MAX] if title else ""


def _plain_neighbour(read: list[_Cell | None], index: int, step: int) -> str:
    """The text of the nearest non-empty cell before (step -1) or after (step 1) `index` when it is plain
    markdown (no nbgrader metadata, not the module's `# Title` cell); "" otherwise."""
    index += step
    while 0 <= index < len(read):
        cell = read[index]
        if cell is None:
            return ""
        if cell.source.strip():
            if cell.kind != "markdown" or cell.nbgrader is not None or _module_title(cell.source):
                return ""
            return _quoted_markdown(cell.source.strip())
        index += step
    return ""


def _quoted_markdown(text: str) -> str:
    """Markdown that a percent-format file left inside its triple quotes (code followed in the same cell)."""
    if text.startswith('"""') and (close := text.find('"""', 3)) != -1:
        return text[3:close].strip()
    return text


def _cell(name: str, index: int, cell, seen_ids: dict[str, int], result: ParsedNotebook) -> _Cell | None:
    """The cell with its nbgrader metadata checked; None when the metadata is unusable."""
    metadata = cell.get("metadata", {}) or {}
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    source = source.replace("\r\n", "\n")  # notebooks saved on Windows keep CRLF inside their JSON strings
    broken = metadata.get("incorrectly_encoded_metadata", "")
    if "nbgrader" in broken:
        result.errors.append(Problem(name, "invalid nbgrader metadata: it is not valid JSON", index))
        return None
    if "nbgrader" not in metadata:
        return _Cell(index, cell.get("cell_type", ""), source, None)
    meta = metadata["nbgrader"]
    if not isinstance(meta, dict):
        result.errors.append(Problem(name, "invalid nbgrader metadata: expected an object of settings", index))
        return None
    grade_id = meta.get("grade_id")
    shown_id = "" if not isinstance(grade_id, str) else grade_id if GRADE_ID.match(grade_id) else _cut(grade_id, 40)

    def invalid(reason: str) -> None:
        result.errors.append(Problem(name, reason, index, shown_id))

    for key in ("grade", "solution", "task", "locked"):
        if key in meta and not isinstance(meta[key], bool):
            invalid(f"invalid nbgrader metadata: {key!r} must be true or false, not {_cut(repr(meta[key]), 60)}")
            return None
    if "schema_version" in meta and (not isinstance(meta["schema_version"], int) or isinstance(
            meta["schema_version"], bool)):
        invalid("invalid nbgrader metadata: schema_version must be a number, not "
                f"{_cut(repr(meta['schema_version']), 60)}")
        return None
    needs_id = meta.get("grade") or meta.get("solution") or meta.get("task")
    if needs_id or grade_id is not None:
        if not isinstance(grade_id, str) or not grade_id:
            invalid("invalid nbgrader metadata: missing grade_id")
            return None
        if not GRADE_ID.match(grade_id):
            invalid("invalid nbgrader metadata: a grade_id has 1 to 100 letters, digits, '-' or '_'")
            return None
        if grade_id in seen_ids:
            invalid(f"duplicate grade_id: cell {seen_ids[grade_id]} already uses it")
            return None
        seen_ids[grade_id] = index
    points = meta.get("points")
    if meta.get("grade") and meta.get("solution"):
        if points is None:
            invalid("missing points: a graded cell needs nbgrader 'points'")
            return None
        if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(points):
            invalid(f"invalid nbgrader metadata: points must be a number, not {_cut(repr(points), 60)}")
            return None
        if points != int(points):
            invalid(f"points must be a whole number, not {points}")
            return None
        if problems := points_errors(int(points)):
            invalid(problems[0])
            return None
        meta = {**meta, "points": int(points)}
    return _Cell(index, cell.get("cell_type", ""), source, meta)


def _looks_like_question(text: str) -> bool:
    lines = text.splitlines()
    return any(_heading(line) is not None for line in lines) or any(
        (label := _label(line)) and _section(label[0]) for line in lines
    )


def _heading(line: str) -> str | None:
    """The text of a Markdown ATX heading line (at most three spaces in), or None."""
    text = line.lstrip(" \t")
    if len(line) - len(text) > 3:
        return None
    match = _HEADING.fullmatch(text.rstrip(" \t"))
    return match["text"] if match else None


def _label(line: str) -> tuple[str, str] | None:
    """(label, rest) of a `**Label:** rest` or `**Label**: rest` line, or None.

    Plain string scanning: a label holds no `*`, so the first `*` after the opening `**` must close it.
    """
    text = line.lstrip(" \t")
    if not text.startswith("**"):
        return None
    close = text.find("*", 2)
    if close <= 2 or not text.startswith("**", close):
        return None
    inner, after = text[2:close], text[close + 2:]
    if inner.endswith(":") and len(inner) > 1:
        return inner[:-1], after.lstrip(" \t")
    after = after.lstrip(" \t")
    if after.startswith(":"):
        return inner, after[1:].lstrip(" \t")
    return None


def _short(line: str) -> str | None:
    """The line stripped, if it is short enough to be a band, total or target-length line."""
    stripped = line.strip(" \t")
    return stripped if len(stripped) <= SHORT_LINE_MAX else None


def stated_total(line: str) -> int | None:
    """N from a `GRADING CRITERIA (N points total):` line."""
    match = _TOTAL_LINE.fullmatch(text) if (text := _short(line)) is not None else None
    return to_int(match["n"]) if match else None


def band_line(line: str) -> tuple[str, int, int] | None:
    """(label, lowest, highest) from a `LABEL (LO-HI points):` line."""
    match = _BAND_LINE.fullmatch(text) if (text := _short(line)) is not None else None
    if not match:
        return None
    low = to_int(match["lo"])
    return " ".join(match["label"].split()), low, to_int(match["hi"]) if match["hi"] is not None else low


def _target(line: str) -> tuple[int, int] | None:
    match = _TARGET.fullmatch(text) if (text := _short(line)) is not None else None
    return (to_int(match["lo"]), to_int(match["hi"])) if match else None


def _question(name: str, task: _Cell, response: _Cell, result: ParsedNotebook, *,
              first: bool = False) -> QuestionDraft | None:
    grade_id = response.nbgrader["grade_id"]
    points = response.nbgrader["points"]
    errors_before = len(result.errors)

    def error(reason: str, cell: int = response.index) -> None:
        result.errors.append(Problem(name, reason, cell, grade_id))

    def warn(reason: str, cell: int = response.index) -> None:
        result.warnings.append(Problem(name, reason, cell, grade_id))

    if sign := _SCHEME_SIGN.search(task.source):
        # Moving text about silently could still leak part of it; refusing shows the author what to fix.
        task_id = task.nbgrader["grade_id"] if task.nbgrader else grade_id
        result.errors.append(Problem(
            name, f"the question cell holds mark-scheme text ({_cut(sign.group().strip(), 40)!r}), which students "
                  "would see; move the mark scheme into the graded response cell", task.index, task_id))
    sections = split_question(task.source)
    if sections["lead"] and not first:
        # The first question's lead is the section's intro; a later one's belongs to its question.
        sections["context"] = "\n\n".join(part for part in (sections["lead"], sections["context"]) if part)
    if not sections["title"]:
        sections["title"] = f"Question {grade_id}"
        warn("the question has no heading; its title is the grade_id", task.index)
    if len(sections["title"]) > TITLE_MAX:
        error(f"the title is {len(sections['title'])} characters; the limit is {TITLE_MAX}", task.index)
    if not sections["prompt"]:
        error("the question cell has no question text", task.index)

    answer_text = response.source
    if response.kind == "code":
        answer_text = _docstring(response.source) or ""
    mark_scheme, found, guidance = mark_scheme_in(answer_text, name, response.index, grade_id, result)
    min_words, max_words = sections["words"] or words_in(sections["expected_response"]) or words_in(guidance) or (
        DEFAULT_MIN_WORDS, DEFAULT_MAX_WORDS)
    for problem in word_limit_errors(min_words, max_words):
        error(f"word limits: {problem}", task.index)
    if found.total is not None and found.total != points:
        error(f"the mark scheme says {number(found.total)} points total but the cell's nbgrader points are {points}")
    kind, bands, criteria = BANDS, found.bands, ()
    if bands:
        for problem in rubric_errors([b.spec() for b in bands], points):
            error(f"mark scheme bands: {problem}")
    elif found.criteria:
        # Refused rather than rescaled: nbgrader's gradebook and reflect must agree on what the answer is worth.
        kind, criteria, bands = CRITERIA, tuple(found.criteria), scaled_standard_bands(points)
        for problem in criteria_errors([c.spec() for c in criteria], points):
            error(f"rubric criteria: {problem} Make the criteria's points add up to the cell's nbgrader points."
                  if "add up" in problem else f"rubric criteria: {problem}")
    else:
        bands = scaled_standard_bands(points)
        ranges = ", ".join(f"{b.label} {b.range_text}" for b in bands)
        if mark_scheme:
            warn(f"the rubric has no bands; standard bands scaled to {points} points were made ({ranges}): review them")
        else:
            warn(f"no mark scheme found; standard bands scaled to {points} points were made ({ranges}): review them")
    if len(result.errors) > errors_before:
        return None
    return QuestionDraft(
        grade_id=grade_id, cell=response.index, title=sections["title"], context=sections["context"],
        prompt=sections["prompt"], expected_response=sections["expected_response"], mark_scheme=mark_scheme,
        min_words=min_words, max_words=max_words, points=points, bands=tuple(bands),
        task_grade_id=task.nbgrader["grade_id"] if task.nbgrader else "", guidance=guidance,
        rubric_kind=kind, criteria=criteria, rubric_notes=found.notes,
    )


def _section(label: str) -> str | None:
    key = " ".join(label.split()).casefold()
    if key.startswith("question ") and key[9:].isdigit():
        return "prompt"  # `**Question 2**: …`
    return SECTION_FOR_LABEL.get(key)


def split_question(text: str) -> dict:
    """Title, context, prompt, expected response and word range of a question cell's Markdown.

    The title is the heading nearest above the question's own text (the last heading before its
    first `**Label:**`); Markdown before that heading, such as a section's heading and intro, is the `lead`.
    """
    lines = text.strip("\n").splitlines()
    title = ""
    heading_at = numbered_at = None
    fenced = False
    for position, line in enumerate(lines):
        stripped = line.lstrip(" \t")
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        if (label := _label(line)) and _section(label[0]):
            break
        if (heading := _heading(line)) is not None and not (
                numbered_at is not None and not _QUESTION_HEADING.fullmatch(heading.rstrip("#").strip())):
            heading_at, title = position, heading
            if _QUESTION_HEADING.fullmatch(heading.rstrip("#").strip()):
                numbered_at = position  # a later sub-heading does not displace `Question N: Title`
    lead = ""
    if heading_at is not None:
        heading_text = title.rstrip("#").strip()
        numbered = _QUESTION_HEADING.fullmatch(heading_text)
        title = numbered["title"].strip() if numbered else heading_text
        lead = "\n".join(lines[:heading_at]).strip()
        lines = lines[heading_at + 1:]
    parts: dict[str, list[str]] = {"preamble": [], "context": [], "prompt": [], "expected_response": []}
    current = "preamble"
    words = None
    for line in lines:
        if target := _target(line):
            words = target
            continue
        label = _label(line)
        section = _section(label[0]) if label else None
        if section:
            current = section
            if label[1].strip():
                parts[current].append(label[1])
            continue
        parts[current].append(line)
    text_of = {key: "\n".join(value).strip() for key, value in parts.items()}
    if not any(text_of[key] for key in ("context", "prompt", "expected_response")):
        text_of["prompt"], text_of["preamble"] = text_of["preamble"], ""
    context = "\n\n".join(part for part in (text_of["preamble"], text_of["context"]) if part)
    return {"title": title, "context": context, "prompt": text_of["prompt"],
            "expected_response": text_of["expected_response"], "words": words, "lead": lead}


def words_in(text: str) -> tuple[int, int] | None:
    match = _WORDS.search(text or "")
    return (to_int(match["lo"]), to_int(match["hi"])) if match else None


_BEFORE_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT}


def _docstring(source: str) -> str | None:
    """The string literal a code cell opens with, as a statement of its own.

    Only the first statement is tokenized and only the literal is evaluated: parsing the whole cell
    would let deeply nested code exhaust Python's parser (RecursionError, MemoryError).
    """
    literals: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                literals.append(token.string)
            elif not literals and token.type in _BEFORE_CODE:
                continue
            elif literals and (token.type in (tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT)
                               or token.type == tokenize.OP and token.string == ";"):
                break
            else:
                return None
        value = ast.literal_eval(" ".join(literals)) if literals else None
    except (tokenize.TokenError, SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


@dataclass
class RubricText:
    """What a mark scheme's text states: a total, bands or criteria, and notes."""

    total: int | None = None
    bands: list[BandDraft] = field(default_factory=list)
    criteria: list[CriterionDraft] = field(default_factory=list)
    notes: str = ""
    duplicate: str = ""


def mark_scheme_in(text: str, name: str, cell: int, grade_id: str, result: ParsedNotebook):
    """(mark scheme text, RubricText, guidance) found in a response cell's text."""
    begin, end = _BEGIN.search(text), _END.search(text)
    if begin and not end:
        result.errors.append(Problem(name, "the mark scheme has a BEGIN marker but no END marker", cell, grade_id))
        return "", RubricText(), ""
    if end and not begin or (begin and end and end.start() < begin.start()):
        result.errors.append(Problem(name, "the mark scheme has an END marker but no BEGIN marker before it",
                                     cell, grade_id))
        return "", RubricText(), ""
    if begin:
        scheme = text[begin.end():end.start()].strip()
        head = text[:begin.start()]
    else:
        answer = _YOUR_RESPONSE.search(text)
        head = text[:answer.start()] if answer else text
        heading = _RUBRIC_HEADING.search(head)
        scheme = head[heading.start():].strip() if heading else ""
        head = head[:heading.start()] if heading else head
    found = read_rubric(scheme)
    if found.duplicate:
        result.errors.append(Problem(name, f"mark scheme bands: the label {found.duplicate!r} is used by more than "
                                           "one band", cell, grade_id))
    return scheme, found, guidance_in(head)


def _is_boilerplate(line: str) -> bool:
    """A scaffolding line that tells students where to write rather than what to think about."""
    text = line.strip(" \t")
    folded = text.casefold()
    if text.startswith("YOUR ") and text == text.upper():
        return True  # `YOUR RESPONSE HERE`, `YOUR REFLECTION ON …:`
    return folded.startswith(("todo:", "replace this text", "[student writes")) or bool(_YOUR_RESPONSE.fullmatch(text))


def guidance_in(head: str) -> str:
    """The student-facing scaffolding of an answer area (guiding questions), without its boilerplate."""
    text = "\n".join(line for line in head.splitlines() if not _is_boilerplate(line)).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()  # `[Write a 150-300 word analysis… Consider: …]`
    return text


def read_rubric(scheme: str) -> RubricText:
    """Bands, or else `- criterion (N points)` bullets, with notes: bullets without points beside criteria and
    whatever follows a `RUBRIC NOTES:` line."""
    body, notes = scheme, ""
    lines = scheme.splitlines()
    for position, line in enumerate(lines):
        if line.strip(" \t") == NOTES_MARKER:
            body, notes = "\n".join(lines[:position]), "\n".join(lines[position + 1:]).strip()
            break
    total, bands, duplicate = parse_bands(body)
    found = RubricText(total=total, bands=bands, notes=notes, duplicate=duplicate)
    if bands:
        return found
    criteria, bonus = parse_criteria(body)
    if criteria:
        found.criteria = criteria
        found.notes = "\n".join(part for part in ("\n".join(bonus), notes) if part)
    return found


def criterion_line(line: str) -> tuple[str, int] | None:
    """(description, points) of a `- description (N points)` bullet."""
    text = line.strip(" \t")
    if len(text) < 3 or text[0] not in "-*" or text[1] not in " \t" or not text.endswith(")"):
        return None
    if (start := text.rfind("(")) >= 2 and (match := _CRITERION_POINTS.fullmatch(text, start)):
        return text[2:start].strip(" \t"), to_int(match["n"])
    return None


def parse_criteria(scheme: str) -> tuple[list[CriterionDraft], list[str]]:
    """The criteria (indented lines under one are its levels) and the other bullets, which score nothing."""
    criteria: list[CriterionDraft] = []
    bonus: list[str] = []
    open_criterion: tuple[str, int] | None = None
    levels: list[str] = []

    def close() -> None:
        if open_criterion:
            criteria.append(CriterionDraft(*open_criterion, _dedent(levels)))

    for line in scheme.splitlines():
        if open_criterion and (line[:1] in (" ", "\t") or not line.strip()):
            levels.append(line)
            continue
        if found := criterion_line(line):
            close()
            open_criterion, levels = found, []
            continue
        close()
        open_criterion, levels = None, []
        text = line.strip(" \t")
        if criteria and len(text) >= 2 and text[0] in "-*" and text[1] in " \t":
            bonus.append(text)  # bullets before the first criterion are the mark scheme's own text
    close()
    return criteria, bonus


def _dedent(lines: list[str]) -> str:
    width = min((len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()), default=0)
    return "\n".join(line[width:].rstrip() for line in lines).strip("\n")


def parse_bands(scheme: str) -> tuple[int | None, list[BandDraft], str]:
    """The stated total, the bands (with their bullet text as description) and any repeated label."""
    total = None
    bands: list[BandDraft] = []
    open_band: tuple[str, int, int] | None = None
    description: list[str] = []
    duplicate = ""
    seen: set[str] = set()

    def close() -> None:
        if open_band:
            bands.append(BandDraft(*open_band, "\n".join(description).strip()))

    for line in scheme.splitlines():
        if total is None and not bands and open_band is None and (stated := stated_total(line)) is not None:
            total = stated
            continue
        if band := band_line(line):
            close()
            label, low, high = band
            if label.casefold() in seen and not duplicate:
                duplicate = label
            seen.add(label.casefold())
            open_band, description = (label, low, high), []
            continue
        if open_band:
            description.append(line)
    close()
    return total, bands, duplicate


def scaled_standard_bands(points: int) -> list[BandDraft]:
    """The standard bands (courses.rubric) scaled to `points`, as drafts to import."""
    return [BandDraft(b.label, b.min_points, b.max_points, b.description) for b in standard_bands(points)]


def answer_in(kind: str, source: str, guidance: str = "") -> str:
    """A student's answer in their copy of a response cell: the text under `**Your Response:**` (or after the mark
    scheme) of a markdown cell, or a code cell's docstring without its rubric, boilerplate and the guidance the
    student was given. "" when the student wrote nothing."""
    source = source.replace("\r\n", "\n")
    if kind == "code":
        text = _docstring(source) or ""
        if heading := _RUBRIC_HEADING.search(text):
            text = text[:heading.start()]
    else:
        text = source
        if answer := _YOUR_RESPONSE.search(text):
            text = text[answer.end():]
        elif end := _END.search(text):
            text = text[end.end():]
    text = "\n".join(line for line in text.splitlines() if not _is_boilerplate(line)).strip()
    guidance = guidance.strip()
    if guidance:
        bracketed = f"[{guidance}]"
        for given in (bracketed, guidance):
            if text.startswith(given):
                text = text[len(given):].strip()
                break
            if text.endswith(given):
                text = text[:-len(given)].strip()
                break
    return text
