"""Exporting modules as notebooks: valid nbformat, export → import round-trips, and submissions for nbgrader."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import jupytext
import nbformat
import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.models import Course, Module, Question, RubricBand
from courses.notebooks.export import build_notebook, mark_scheme_text, module_notebook, notebook_text
from courses.notebooks.importer import NotebookFile, notebooks_import
from courses.notebooks.parse import BandDraft, parse_notebook
from courses.tests.factories import make_course, make_module, make_question, make_response, make_user

FIXTURES = Path(__file__).parent / "notebooks"


def question_state(question: Question) -> dict:
    """What a round trip must keep: the question's text, points, words, rubric and notes."""
    return {
        "grade_id": question.grade_id, "number": question.number, "title": question.title,
        "context": question.context, "prompt": question.prompt, "expected_response": question.expected_response,
        "guidance": question.guidance, "rubric_kind": question.rubric_kind, "rubric_notes": question.rubric_notes,
        "criteria": [(c.description, c.max_points, c.levels) for c in question.criteria.order_by("position")],
        "mark_scheme": question.mark_scheme, "points": question.points, "min_words": question.min_words,
        "max_words": question.max_words,
        "bands": [(b.label, b.min_points, b.max_points, b.description) for b in question.bands.order_by("position")],
    }


def module_state(module: Module) -> list:
    return [module.reflection_intro, module.reflection_summary,
            *(question_state(q) for q in module.questions.order_by("number"))]


@pytest.fixture
def imported(db) -> Course:
    course = make_course("source")
    files = [NotebookFile(p.name, p.read_bytes()) for p in sorted(FIXTURES.glob("*.py"))]
    notebooks_import(course=course, files=files)
    return course


def test_every_export_is_a_valid_notebook_in_the_seed_layout(imported):
    module = imported.modules.get(slug="activations-reflection")
    notebook = module_notebook(module)
    nbformat.validate(notebook)
    tasks = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("task")]
    responses = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata["nbgrader"]["grade_id"] for c in tasks] == [
        f"systems-thinking-task-{n}" for n in (1, 2, 3)]
    assert [c.metadata["nbgrader"]["points"] for c in responses] == [10, 10, 10]
    assert responses[0].source.startswith("=== BEGIN MARK SCHEME ===\nGRADING CRITERIA (10 points total):")
    assert "=== END MARK SCHEME ===\n\n**Your Response:**" in responses[0].source
    assert tasks[0].source.startswith("### Question 1: Computational Efficiency in Production\n\n**Context:** ")


@pytest.mark.parametrize("suffix", ["ipynb", "py"])
def test_export_then_import_into_an_empty_course_gives_the_same_questions(imported, tmp_path, suffix):
    target = make_course("target")
    for module in imported.modules.all():
        path = tmp_path / f"{module.number:02d}_{module.slug}.{suffix}"
        call_command("export_notebook", "--course", "source", "--module", module.slug, "-o", str(path),
                     stdout=StringIO())
        if suffix == "ipynb":
            nbformat.validate(nbformat.read(path, as_version=4))
        call_command("import_notebook", str(path), "--course", "target", stdout=StringIO())
    assert imported.modules.count() == 3
    for module in imported.modules.all():
        copy = target.modules.get(slug=module.slug)
        assert copy.number == module.number
        assert module_state(copy) == module_state(module)


def test_the_py_export_reads_back_with_jupytext_and_matches_the_seeds_style(imported, tmp_path):
    path = tmp_path / "out.py"
    call_command("export_notebook", "--course", "source", "--module", "activations-reflection", "-o", str(path),
                 stdout=StringIO())
    text = path.read_text()
    assert '# %% [markdown] nbgrader={"grade": false, "grade_id": "systems-thinking-task-1"' in text
    assert '"solution": true, "task": false, "points": 10}\n"""\n=== BEGIN MARK SCHEME ===' in text
    # title, reflection intro, three task and response pairs, closing insight
    assert len(jupytext.reads(text, fmt="py:percent").cells) == 9


def test_a_question_authored_in_the_admin_exports_its_bands_and_reaches_a_fixed_point(db, tmp_path):
    course = make_course("authored")
    module = make_module(course, 1, slug="activations")
    make_question(module, 1, grade_id="q1", points=10, min_words=100, max_words=200)
    notebook = module_notebook(module)
    assert notebook.cells[2].source.startswith(
        "=== BEGIN MARK SCHEME ===\nSECRET-MARK-SCHEME: reward discussion of exponentials.\n\n"
        "GRADING CRITERIA (10 points total):\n\nEXCELLENT (9-10 points):\nDeep, specific, technically accurate.")
    assert notebook.cells[1].source.endswith("*Target length: 100-200 words*")
    first = notebook_text(notebook, "ipynb")
    copy_course = make_course("copy")
    notebooks_import(course=copy_course, files=[NotebookFile("01_activations.ipynb", first.encode())])
    copy = copy_course.modules.get()
    original, copied = module_state(module)[2], module_state(copy)[2]
    assert {k: v for k, v in copied.items() if k != "mark_scheme"} == {
        k: v for k, v in original.items() if k != "mark_scheme"}
    assert notebook_text(module_notebook(copy), "ipynb") == first


def test_stdout_export_defaults_to_ipynb(imported, capsys):
    call_command("export_notebook", "--course", "source", "--module", "precision-mixed")
    notebook = json.loads(capsys.readouterr().out)
    assert notebook["nbformat"] == 4 and len(notebook["cells"]) == 5


def test_export_submissions_writes_nbgraders_submitted_layout_with_each_answer_in_its_cell(imported, tmp_path):
    module = imported.modules.get(slug="activations-reflection")
    q1, q2, q3 = module.questions.order_by("number")
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_response(alice, q1, "Alice on ReLU cost. " * 20)
    make_response(alice, q3, "Alice on hardware. " * 20)
    make_response(bob, q2, "Bob's draft only. " * 20, submitted=False)
    make_response(carol, q2, "Carol's submitted answer. " * 20)
    draft_after_submit = make_response(make_user("dave"), q1, "Dave submitted this. " * 20)
    draft_after_submit.text = "Dave's newer unsubmitted draft."
    draft_after_submit.save()
    out = StringIO()
    call_command("export_submissions", "--course", "source", "--module", module.slug, "-o", str(tmp_path), stdout=out)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert written == [f"submitted/{name}/activations-reflection/activations-reflection.ipynb"
                       for name in ("alice", "carol", "dave")]
    assert "Wrote 3 submission(s)" in out.getvalue()
    notebook = nbformat.read(tmp_path / written[0], as_version=4)
    nbformat.validate(notebook)
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells if "nbgrader" in c.metadata}
    assert cells["systems-thinking-response-1"] == "**Your Response:**\n" + "Alice on ReLU cost. " * 20
    assert cells["systems-thinking-response-3"].startswith("**Your Response:**\nAlice on hardware.")
    assert "[Student writes their analysis here" in cells["systems-thinking-response-2"]
    assert not any("MARK SCHEME" in source for source in cells.values())
    dave = nbformat.read(tmp_path / written[2], as_version=4)
    assert any("Dave submitted this." in c.source for c in dave.cells)
    assert not any("newer unsubmitted" in c.source for c in dave.cells)
    assert (tmp_path / "submitted/alice/activations-reflection/timestamp.txt").read_text().endswith(" UTC")


# Text that cannot be mistaken for the format's own markers: words, math, emoji, fences and <details>.
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZéü学", min_size=1, max_size=10)
RICH = st.sampled_from([
    "$\\sigma(z)_i = e^{z_i} / \\sum_j e^{z_j}$", "≈ 2¹⁶ 🚀 ∑ ∞", "`np.maximum(0, x)`",
    "```python\ndef relu(x):\n    return np.maximum(0, x)\n```",
    "<details>\n<summary>Hint</summary>\n\nThink about $e^{a-b}$.\n</details>",
])
INLINE = st.sampled_from(["$\\sigma(z)_i = e^{z_i}$", "≈ 2¹⁶ 🚀 ∑ ∞", "`np.maximum(0, x)`"])
TITLE = st.lists(st.one_of(WORD, INLINE), min_size=1, max_size=6).map(" ".join)
LINE = st.lists(st.one_of(WORD, RICH), min_size=1, max_size=6).map(" ".join)
PARAGRAPHS = st.lists(LINE, min_size=1, max_size=3).map("\n\n".join)
LABELS = st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=8), min_size=1, max_size=6,
                  unique=True)
DESCRIPTION = st.lists(WORD.map(lambda w: f"- {w} criterion"), max_size=3).map("\n".join)


@st.composite
def questions(draw):
    points = draw(st.integers(min_value=1, max_value=30))
    labels = draw(LABELS)
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=points), max_size=len(labels) - 1, unique=True)))
    edges = [0, *cuts, points + 1]
    bands = [BandDraft(labels[i], edges[i], edges[i + 1] - 1, draw(DESCRIPTION)) for i in range(len(edges) - 1)]
    low = draw(st.integers(min_value=0, max_value=400))
    question = Question(
        pk=1, number=1, grade_id=draw(st.from_regex(r"[a-z][a-z0-9_-]{0,30}", fullmatch=True)),
        title=draw(TITLE), context=draw(st.one_of(st.just(""), PARAGRAPHS)), prompt=draw(PARAGRAPHS),
        expected_response=draw(st.one_of(st.just(""), PARAGRAPHS)),
        mark_scheme=draw(st.one_of(st.just(""), PARAGRAPHS)), points=points,
        min_words=low, max_words=max(1, low + draw(st.integers(min_value=0, max_value=400))),
    )
    rows = [RubricBand(label=b.label, min_points=b.min_points, max_points=b.max_points, description=b.description)
            for b in reversed(bands)]
    return question, rows


@settings(max_examples=200, deadline=None)
@given(item=questions(), fmt=st.sampled_from(["ipynb", "py"]))
def test_the_parser_reads_back_whatever_the_exporter_writes(item, fmt):
    question, bands = item
    text = notebook_text(build_notebook("# 01. Generated", [(question, bands)]), fmt)
    parsed = parse_notebook(f"generated.{fmt}", text.encode())
    assert parsed.errors == []
    (draft,) = parsed.questions
    assert (draft.grade_id, draft.title, draft.context, draft.prompt, draft.expected_response) == (
        question.grade_id, question.title, question.context, question.prompt, question.expected_response)
    assert (draft.points, draft.min_words, draft.max_words) == (question.points, question.min_words, question.max_words)
    assert draft.mark_scheme == mark_scheme_text(question, bands)
    assert sorted(draft.bands, key=lambda b: b.min_points) == sorted(
        (BandDraft(b.label, b.min_points, b.max_points, b.description) for b in bands), key=lambda b: b.min_points)


def test_export_commands_refuse_an_unknown_module_or_output_type(imported, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No module 'nope' in course 'source'"):
        call_command("export_notebook", "--course", "source", "--module", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="must end in .ipynb or .py"):
        call_command("export_notebook", "--course", "source", "--module", "precision-mixed", "-o",
                     str(tmp_path / "out.txt"), stdout=StringIO())
    with pytest.raises(CommandError, match="No module 'nope' in course 'source'"):
        call_command("export_submissions", "--course", "source", "--module", "nope", "-o", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
