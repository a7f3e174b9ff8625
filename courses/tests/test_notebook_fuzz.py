"""Fuzz the notebook parser with generated hostile notebooks, as .ipynb and as jupytext percent .py.

Whatever the file holds (random nesting, metadata values of every JSON type including huge integers,
NaN, NUL and lone surrogates, very long lines, mark-scheme markers in the wrong cell):
- `read_notebook` either returns a notebook or raises NotebookError, nothing else;
- `parse_notebook` never raises; it returns questions or says why not;
- every question it returns can be stored as it is: the model fields' own validation passes, no
  text holds a character the database refuses, and no student-visible text holds mark-scheme markers.
That last point is what makes a clean preview mean a successful import.
FUZZ_EXAMPLES sets the budget (small in `make test`, large in `make fuzz`).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import Question, RubricBand, RubricCriterion
from courses.notebooks.parse import NotebookError, parse_notebook, read_notebook

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=max(50, int(os.environ.get("FUZZ_EXAMPLES", "15"))),
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

SPECIAL_STRINGS = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ufeff", "\u2028", "NaN", "Infinity", "-Infinity", "1e309",
    "9" * 5000, str(2**31), "=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ===", "GRADING RUBRIC",
    "**Your Response:**", "# %%", "# %% [markdown]", '"""', "'''", "\\", "\r\n",
]
# Lines shaped like the parser's own syntax, with the numbers and spaces an attacker would choose.
NUMBER_TEXT = st.one_of(st.integers(0, 12).map(str), st.sampled_from(["3000000000", str(2**31), str(2**63),
                                                                      "9" * 150, "9" * 5000, "٣", "²"]))
SPACES = st.sampled_from(["", " ", " " * 3, " " * 5000, "\t" * 100])
SHAPED_LINE = st.one_of(
    st.builds(lambda s, lo, hi: f"EXCELLENT{s}({lo}-{hi} points):", SPACES, NUMBER_TEXT, NUMBER_TEXT),
    st.builds(lambda s, n: f"GRADING CRITERIA ({n} points total){s}:", SPACES, NUMBER_TEXT),
    st.builds(lambda s, lo, hi: f"*Target length: {lo}-{hi} words*{s}", SPACES, NUMBER_TEXT, NUMBER_TEXT),
    st.builds(lambda s, lo, hi: f"{lo}{s}-{hi} words", SPACES, NUMBER_TEXT, NUMBER_TEXT),
    st.builds(lambda s, t: f"### Question 1:{s}{t}", SPACES, st.text(max_size=30)),
    st.builds(lambda s, t: f"**Question{s}:** {t}", SPACES, st.text(max_size=30)),
    st.builds(lambda s, n: f"- criterion{s}({n} points)", SPACES, NUMBER_TEXT),
    st.sampled_from(SPECIAL_STRINGS),
    st.sampled_from(["*", "(", "#", "=", "1", " ", "**a", "`", '"', "-"]).flatmap(
        lambda c: st.sampled_from([100, 5000, 60_000]).map(lambda n: c * n)),
)
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.lists(st.one_of(SHAPED_LINE, st.text(any_char, max_size=30)), max_size=8).map("\n".join)

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([0, 1, 10, 1000, 1001, 2**31, 2**63, 10**30, -1]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, 3e9, 2.5]),
    st.sampled_from(SPECIAL_STRINGS), st.text(any_char, max_size=20),
)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(any_char, max_size=5), inner, max_size=3)), max_leaves=10)


@st.composite
def nested(draw):
    """A value wrapped in lists or objects to a depth around and far past the parser's limit."""
    value = draw(JSON_VALUES)
    for _ in range(draw(st.sampled_from([0, 5, 49, 51, 300]))):
        value = [value] if draw(st.booleans()) else {"k": value}
    return value


WORDS = st.one_of(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12), st.just("why"))
PHRASE = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)


def mostly(sane, wild):
    """`sane` seven times in eight, so that many examples get as far as questions; otherwise `wild`."""
    return st.integers(0, 7).flatmap(lambda n: wild if n == 7 else sane)


POINTS = mostly(st.integers(1, 20), SCALARS)
WORD_LIMIT = mostly(st.integers(0, 400).map(str), NUMBER_TEXT)


def sprinkle(draw, lines: list[str]) -> str:
    """The lines with a few hostile ones put in among them."""
    lines = list(lines)
    for _ in range(draw(st.integers(0, 3))):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.one_of(SHAPED_LINE, st.text(any_char, max_size=30))))
    return "\n".join(lines)


@st.composite
def question_text(draw):
    lines = [f"### Question 1: {draw(PHRASE)}", "", f"**Context:** {draw(PHRASE)}", "",
             f"**Question:** {draw(PHRASE)}?", ""]
    if draw(st.booleans()):
        lines.append(f"**Expected Response:** {draw(WORD_LIMIT)}-{draw(WORD_LIMIT)} words on {draw(PHRASE)}.")
    if draw(st.booleans()):
        lines.append(f"*Target length: {draw(WORD_LIMIT)}-{draw(WORD_LIMIT)} words*")
    return sprinkle(draw, lines)


@st.composite
def scheme_text(draw, points):
    """A mark scheme whose bands tile 0..points when `points` is a sane number, and anything otherwise."""
    top = points if isinstance(points, int) and not isinstance(points, bool) and 0 < points < 100 else 10
    cuts = sorted(draw(st.sets(st.integers(1, top), max_size=4)))
    edges = [0, *cuts, top + 1]
    labels = draw(st.lists(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=1, max_size=12).filter(str.strip),
                           min_size=len(edges) - 1, max_size=len(edges) - 1, unique_by=lambda t: t.strip().casefold()))
    if draw(st.booleans()):
        return draw(criteria_text(top))
    lines = ["=== BEGIN MARK SCHEME ==="]
    if draw(st.booleans()):
        lines.append(f"GRADING CRITERIA ({top} points total):")
    for label, low, high in zip(labels, edges, [e - 1 for e in edges[1:]], strict=False):
        lines += [f"{label.strip() or 'X'} ({low}-{high} points):", f"- {draw(PHRASE)}"]
    lines += ["=== END MARK SCHEME ===", "", "**Your Response:**", "[Student writes here]"]
    return sprinkle(draw, lines)


@st.composite
def criteria_text(draw, top):
    """TinyTorch's answer area: scaffolding with guiding questions, then `- criterion (N points)` bullets that add
    up to `top` (with levels, bonus lines and notes now and then)."""
    cuts = sorted(draw(st.sets(st.integers(1, top - 1), max_size=3))) if top > 1 else []
    shares = [high - low for low, high in zip([0, *cuts], [*cuts, top], strict=True)]
    lines = [draw(st.sampled_from(["YOUR RESPONSE HERE", "YOUR REFLECTION ON IT:", "TODO: Replace this text."])), "",
             "Consider addressing:", f"- {draw(PHRASE)}?", "", "GRADING RUBRIC (Instructor Use):"]
    for share in shares:
        lines.append(f"- {draw(PHRASE)} ({draw(mostly(st.just(share), NUMBER_TEXT))} points)")
        if draw(st.booleans()):
            lines.append(f"  - {draw(PHRASE)}")
    if draw(st.booleans()):
        lines.append(f"- {draw(PHRASE)} (bonus points for {draw(PHRASE)})")
    if draw(st.booleans()):
        lines += ["RUBRIC NOTES:", draw(PHRASE)]
    return sprinkle(draw, lines)


@st.composite
def cells(draw):
    """Question and response cell pairs in the seed layout, then a few random mutations of them."""
    found = []
    for i in range(draw(st.integers(0, 3))):
        points = draw(POINTS)
        scheme = draw(scheme_text(points))
        kind = draw(st.sampled_from(["markdown", "code"]))
        if kind == "code":
            scheme = f'"""\n{scheme}\n"""\n' + draw(st.sampled_from(["", "-" * 5000 + "1", "a" + ".b" * 5000]))
        task = {"grade": False, "solution": False, "task": True, "locked": True, "grade_id": f"t{i}",
                "schema_version": 3}
        response = {"grade": True, "solution": True, "task": False, "locked": False, "grade_id": f"r{i}",
                    "points": points, "schema_version": 3}
        found += [["markdown", draw(question_text()), {"nbgrader": task}], [kind, scheme, {"nbgrader": response}]]
    for _ in range(draw(st.integers(0, 3)) if found else 0):
        cell = found[draw(st.integers(0, len(found) - 1))]
        mutation = draw(st.sampled_from(["value", "nbgrader", "metadata", "line", "type", "markers"]))
        if mutation == "value" and isinstance(cell[2].get("nbgrader"), dict):
            cell[2]["nbgrader"][draw(st.sampled_from(NBGRADER_KEYS))] = draw(st.one_of(SCALARS, nested()))
        elif mutation == "nbgrader":
            cell[2]["nbgrader"] = draw(st.one_of(JSON_VALUES, nested()))
        elif mutation == "metadata":
            cell[2][draw(st.text(any_char, max_size=5))] = draw(st.one_of(JSON_VALUES, nested()))
        elif mutation == "line":
            cell[1] = sprinkle(draw, cell[1].split("\n"))
        elif mutation == "type":
            cell[0] = draw(st.sampled_from(["markdown", "code", "raw"]))
        else:
            cell[1] += "\n" + draw(st.sampled_from(SPECIAL_STRINGS[14:17]))
    return [tuple(cell) for cell in found]


NBGRADER_KEYS = ("grade", "solution", "task", "locked", "points", "grade_id", "schema_version")


def as_ipynb(drawn, notebook_metadata) -> bytes:
    notebook = {"nbformat": 4, "nbformat_minor": 4, "metadata": notebook_metadata, "cells": [
        {"cell_type": kind, "metadata": metadata, "source": source,
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, source, metadata in drawn]}
    return json.dumps(notebook).encode()  # escapes NUL and lone surrogates, as a file on disk would


def as_percent(drawn) -> bytes:
    parts = []
    for kind, source, metadata in drawn:
        header = "# %%" + (" [markdown]" if kind == "markdown" else " [raw]" if kind == "raw" else "")
        if "nbgrader" in metadata:
            header += " nbgrader=" + json.dumps(metadata["nbgrader"])
        body = f'"""\n{source}\n"""' if kind == "markdown" else source
        parts.append(f"{header}\n{body}\n")
    return "\n".join(parts).encode("utf-8", "surrogatepass")  # lone surrogates make the bytes invalid UTF-8


MARKERS = re.compile(r"(?:BEGIN|END)[ \t]+MARK[ \t]+SCHEME", re.I)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def assert_storable(parsed) -> None:
    for draft in parsed.questions:
        question = Question(number=draft.number, grade_id=draft.grade_id, title=draft.title, context=draft.context,
                            prompt=draft.prompt, expected_response=draft.expected_response,
                            mark_scheme=draft.mark_scheme, min_words=draft.min_words, max_words=draft.max_words,
                            points=draft.points)
        try:
            question.clean_fields(exclude=["module"])
            for position, band in enumerate(draft.bands):
                RubricBand(position=position, label=band.label, min_points=band.min_points,
                           max_points=band.max_points, description=band.description).clean_fields(exclude=["question"])
        except ValidationError as error:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{parsed.name}: the parser accepted {draft.grade_id!r}, which the database refuses: {error}")
        try:
            for position, criterion in enumerate(draft.criteria):
                RubricCriterion(position=position, description=criterion.description, max_points=criterion.max_points,
                                levels=criterion.levels).clean_fields(exclude=["question"])
        except ValidationError as error:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{parsed.name}: the parser accepted criteria of {draft.grade_id!r} that the database "
                        f"refuses: {error}")
        texts = [draft.title, draft.context, draft.prompt, draft.expected_response, draft.guidance, draft.mark_scheme,
                 draft.rubric_notes, *(band.label for band in draft.bands), *(band.description for band in draft.bands),
                 *(c.description for c in draft.criteria), *(c.levels for c in draft.criteria)]
        assert not any(UNSTORABLE.search(text) for text in texts)
        assert not any(MARKERS.search(text) for text in texts[:5]), "mark-scheme markers in student-visible text"
    assert not any(UNSTORABLE.search(text) for text in (parsed.reflection_intro, parsed.reflection_summary))


@FUZZ
@given(drawn=cells(), notebook_metadata=st.one_of(st.just({}), st.dictionaries(st.text(max_size=5), nested(),
                                                                                max_size=2)),
       fmt=st.sampled_from(["ipynb", "py"]))
def test_any_generated_notebook_is_read_or_refused_and_what_is_read_can_be_stored(drawn, notebook_metadata, fmt):
    data = as_ipynb(drawn, notebook_metadata) if fmt == "ipynb" else as_percent(drawn)
    name = f"fuzz.{fmt}"
    try:
        read_notebook(name, data)
    except NotebookError as error:
        assert error.problems and all(problem.file == name for problem in error.problems)
    parsed = parse_notebook(name, data)
    assert parsed.errors or parsed.questions or parsed.skipped
    assert_storable(parsed)


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), st.text(any_char, max_size=200).map(
    lambda text: text.encode("utf-8", "surrogatepass"))), suffix=st.sampled_from([".ipynb", ".py", ".txt"]))
def test_any_bytes_at_all_are_read_or_refused(data, suffix):
    parsed = parse_notebook(f"junk{suffix}", data)
    assert parsed.errors or parsed.questions or parsed.skipped
    assert_storable(parsed)
