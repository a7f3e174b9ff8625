"""Reading notebook files into question drafts: the seed, the variant layout, odd points, rich text, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from django.conf import settings

from courses.notebooks.parse import BandDraft, parse_notebook, scaled_standard_bands

FIXTURES = Path(__file__).parent / "notebooks"
SHARED_SEED = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "activations_reflection.py"
FIVE_BANDS = [("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
              ("NO CREDIT", 0, 0)]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ranges(draft) -> list[tuple[str, int, int]]:
    return [(b.label, b.min_points, b.max_points) for b in draft.bands]


def task_cell(grade_id: str, text: str, **extra) -> dict:
    meta = {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3, "solution": False,
            "task": True, **extra}
    return nbformat.v4.new_markdown_cell(text, metadata={"nbgrader": meta})


def response_cell(grade_id: str, text: str, **extra) -> dict:
    meta = {"grade": True, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": True,
            "task": False, "points": 10, **extra}
    return nbformat.v4.new_markdown_cell(text, metadata={"nbgrader": meta})


QUESTION = ("### Question 1: Cost\n\n**Context:** ReLU is cheap.\n\n**Question:** Why?\n\n"
            "**Expected Response:** 150-300 words.")
SCHEME = """=== BEGIN MARK SCHEME ===
GRADING CRITERIA (10 points total):

EXCELLENT (9-10 points):
- Deep

GOOD (7-8 points):
- Good

SATISFACTORY (5-6 points):
- Basic

NEEDS IMPROVEMENT (1-4 points):
- Thin

NO CREDIT (0 points):
- Nothing
=== END MARK SCHEME ===

**Your Response:**
[Student writes their analysis here]"""


def ipynb(*cells) -> bytes:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = list(cells)
    return nbformat.writes(notebook).encode()


@pytest.mark.parametrize("source", ["repo fixture", "shared seed"])
def test_the_seed_gives_exactly_three_ten_point_questions_with_the_five_bands(source):
    data = fixture("activations_reflection.py") if source == "repo fixture" else SHARED_SEED.read_bytes()
    parsed = parse_notebook("activations_reflection.py", data)
    assert parsed.errors == [] and parsed.warnings == []
    assert [q.grade_id for q in parsed.questions] == [f"systems-thinking-response-{n}" for n in (1, 2, 3)]
    assert [q.title for q in parsed.questions] == [
        "Computational Efficiency in Production", "Numerical Stability in Large Systems",
        "Hardware Abstraction and API Design"]
    for question in parsed.questions:
        assert question.points == 10
        assert ranges(question) == FIVE_BANDS
        assert (question.min_words, question.max_words) == (150, 300)


def test_the_seed_splits_context_question_and_expected_response_and_keeps_the_mark_scheme_whole():
    first = parse_notebook("a.py", fixture("activations_reflection.py")).questions[0]
    assert first.context.startswith("Your ReLU implementation uses simple NumPy operations: `np.maximum(0, x)`")
    assert first.prompt.startswith("In production neural networks with billions of activations")
    assert first.prompt.endswith("why has ReLU become the dominant choice in deep learning?")
    assert first.expected_response.startswith("150-300 words analyzing computational efficiency")
    assert first.mark_scheme.startswith("GRADING CRITERIA (10 points total):")
    assert first.mark_scheme.endswith("- Factually incorrect fundamental concepts")
    assert "Your Response" not in first.mark_scheme and "BEGIN MARK SCHEME" not in first.mark_scheme
    assert first.bands[0].description.splitlines()[0] == (
        "- Deep understanding of computational complexity differences between activation functions")
    assert first.bands[-1].description == (
        "- No response or completely off-topic\n- Factually incorrect fundamental concepts")


def test_the_variant_layout_takes_the_prompt_from_markdown_and_its_points_list_as_criteria():
    parsed = parse_notebook("02_activations_variant.py", fixture("02_activations_variant.py"))
    assert parsed.errors == [] and parsed.warnings == []
    first, second = parsed.questions
    assert first.title == "Computational Efficiency and Numerical Stability"
    assert first.context.startswith("Your activation implementations handle basic operations")
    assert first.prompt.startswith("Design a production-grade activation function system")
    assert "Think about: vectorization strategies" in first.prompt
    assert "Target length" not in first.prompt
    assert first.mark_scheme.startswith("GRADING RUBRIC (Instructor Use):")
    assert "(3 points)" in first.mark_scheme and "Replace this text" not in first.mark_scheme
    assert first.rubric_kind == "criteria"
    assert [(c.description, c.max_points) for c in first.criteria] == [
        ("Demonstrates understanding of efficiency vs stability trade-offs", 3),
        ("Addresses numerical stability concerns in large-scale systems", 3),
        ("Shows practical knowledge of optimization strategies", 2),
        ("Demonstrates systems thinking about activation function design", 2)]
    # A criteria question keeps the standard bands: its grade's band is the one its total falls in.
    assert ranges(first) == FIVE_BANDS
    assert first.guidance == ""  # "Replace this text…" is boilerplate, not guidance
    assert (second.points, second.min_words, second.max_words) == (15, 200, 400)
    assert [c.max_points for c in second.criteria] == [5, 5, 5]
    assert ranges(second) == [("EXCELLENT", 14, 15), ("GOOD", 11, 13), ("SATISFACTORY", 8, 10),
                              ("NEEDS IMPROVEMENT", 1, 7), ("NO CREDIT", 0, 0)]
    assert parsed.reflection_intro.startswith("## 🤔 ML Systems Thinking: Interactive Questions")


def test_other_points_other_band_names_and_rich_text_survive():
    parsed = parse_notebook("03_precision_mixed.py", fixture("03_precision_mixed.py"))
    assert parsed.errors == [] and parsed.warnings == []
    three, eight = parsed.questions
    assert three.title == "Precision 🔬 and overflow"
    assert ranges(three) == [("FULL MARKS", 3, 3), ("PARTIAL", 1, 2), ("NONE", 0, 0)]
    assert ranges(eight) == [("OUTSTANDING", 7, 8), ("PROFICIENT", 4, 6), ("DEVELOPING", 1, 3), ("NO CREDIT", 0, 0)]
    assert r"$\sigma(z)_i = e^{z_i} / \sum_j e^{z_j}$" in three.context
    assert "```python\ndef softmax(x):\n    e = np.exp(x - x.max())" in three.context
    assert "<details>\n<summary>Hint</summary>" in three.prompt and three.prompt.endswith("</details>")
    assert "e⁰ = 1" in three.bands[0].description
    assert (three.min_words, three.max_words) == (80, 120)


@pytest.mark.parametrize("points, expected", [
    (3, [("EXCELLENT", 3, 3), ("SATISFACTORY", 2, 2), ("NEEDS IMPROVEMENT", 1, 1), ("NO CREDIT", 0, 0)]),
    (8, [("EXCELLENT", 8, 8), ("GOOD", 6, 7), ("SATISFACTORY", 4, 5), ("NEEDS IMPROVEMENT", 1, 3),
         ("NO CREDIT", 0, 0)]),
    (1, [("EXCELLENT", 1, 1), ("NO CREDIT", 0, 0)]),
])
def test_standard_bands_scale_to_any_points_and_tile_them(points, expected):
    assert [(b.label, b.min_points, b.max_points) for b in scaled_standard_bands(points)] == expected


def test_an_ipynb_with_the_seed_layout_reads_like_the_py():
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t1", QUESTION), response_cell("r1", SCHEME)))
    assert parsed.errors == []
    assert parsed.questions[0].grade_id == "r1" and parsed.questions[0].task_grade_id == "t1"
    assert parsed.questions[0].bands[0] == BandDraft("EXCELLENT", 9, 10, "- Deep")


def test_autograded_and_ungraded_solution_cells_are_not_questions():
    code_test = nbformat.v4.new_code_cell("assert relu(-1) == 0", metadata={"nbgrader": {
        "grade": True, "grade_id": "test-relu", "solution": False, "points": 2, "locked": True}})
    solution = nbformat.v4.new_code_cell("def relu(x): ...", metadata={"nbgrader": {
        "grade": False, "grade_id": "relu-impl", "solution": True, "locked": False}})
    data = ipynb(solution, code_test, task_cell("t1", QUESTION), response_cell("r1", SCHEME))
    parsed = parse_notebook("m.ipynb", data)
    assert parsed.errors == [] and [q.grade_id for q in parsed.questions] == ["r1"]


def _error(name: str, data: bytes) -> str:
    parsed = parse_notebook(name, data)
    assert parsed.questions == [] or parsed.errors, "expected the file to be refused"
    assert parsed.errors, "expected an error"
    return str(parsed.errors[0])


BAD_FILES = {
    "not JSON": ("m.ipynb", b"{ this is not json", "m.ipynb: not JSON"),
    "JSON but not a notebook": ("m.ipynb", b'{"hello": "world"}', "m.ipynb: not a notebook"),
    "an unreadable nbformat version": (
        "m.ipynb", json.dumps({"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}).encode(),
        "m.ipynb: nbformat version 5 cannot be read"),
    "a notebook that fails validation": (
        "m.ipynb", json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                               "cells": [{"cell_type": "markdown", "source": "x"}]}).encode(),
        "m.ipynb: not a valid notebook"),
    "an empty file": ("m.py", b"", "m.py: the file is empty"),
    "a whitespace-only file": ("m.ipynb", b"  \n\n ", "m.ipynb: the file is empty"),
    "a binary file": ("m.ipynb", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "m.ipynb: this is a binary file"),
    "bytes that are not UTF-8": ("m.py", b"\xff\xfe\xfa text", "m.py: this is a binary file"),
    "another kind of file": ("notes.txt", b"hello", "notes.txt: expected a .ipynb notebook"),
}


def test_a_notebook_without_questions_is_skipped_not_refused():
    parsed = parse_notebook("m.py", b"# %%\nprint('hi')\n")
    assert parsed.errors == [] and parsed.questions == []
    assert parsed.skipped.startswith("no graded reflection cells")


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_it_refuses_a_file_that_is_not_a_usable_notebook(case):
    name, data, expected = BAD_FILES[case]
    assert _error(name, data).startswith(expected)


def test_it_refuses_a_file_over_the_size_cap(settings):
    settings.NOTEBOOK_MAX_BYTES = 1000
    data = ipynb(task_cell("t1", QUESTION + "x" * 2000), response_cell("r1", SCHEME))
    assert _error("big.ipynb", data) == "big.ipynb: the file is larger than the 1,000-byte limit for a notebook"


def _cells_error(*cells) -> str:
    return _error("m.ipynb", ipynb(*cells))


def test_it_names_the_cell_and_grade_id_when_points_are_missing():
    meta = response_cell("r1", SCHEME)
    del meta.metadata["nbgrader"]["points"]
    assert _cells_error(task_cell("t1", QUESTION), meta) == (
        "m.ipynb, cell 1, grade_id 'r1': missing points: a graded cell needs nbgrader 'points'")


@pytest.mark.parametrize("change, reason", [
    ({"grade": "yes"}, "invalid nbgrader metadata: 'grade' must be true or false, not 'yes'"),
    ({"points": "ten"}, "invalid nbgrader metadata: points must be a number, not 'ten'"),
    ({"points": 2.5}, "points must be a whole number, not 2.5"),
    ({"points": 0}, "A question is worth 1 to 1,000 points, not 0."),
    ({"grade_id": "has spaces!"}, "invalid nbgrader metadata: a grade_id has 1 to 100 letters"),
    ({"grade_id": ""}, "invalid nbgrader metadata: missing grade_id"),
])
def test_it_refuses_invalid_nbgrader_metadata(change, reason):
    cell = response_cell("r1", SCHEME)
    cell.metadata["nbgrader"].update(change)
    assert reason in _cells_error(task_cell("t1", QUESTION), cell)


def test_it_refuses_nbgrader_metadata_that_is_not_an_object():
    cell = nbformat.v4.new_markdown_cell("x", metadata={"nbgrader": "grade"})
    assert _cells_error(cell) == "m.ipynb, cell 0: invalid nbgrader metadata: expected an object of settings"


def test_it_refuses_percent_format_metadata_that_is_not_json():
    data = b'# %% [markdown] nbgrader={"grade": tru, "grade_id": "r1"}\n"""\nhello\n"""\n'
    assert _error("m.py", data) == "m.py, cell 0: invalid nbgrader metadata: it is not valid JSON"


def test_it_refuses_a_duplicate_grade_id_in_one_file():
    message = _cells_error(task_cell("t1", QUESTION), response_cell("r1", SCHEME),
                           task_cell("t2", QUESTION), response_cell("r1", SCHEME))
    assert message == "m.ipynb, cell 3, grade_id 'r1': duplicate grade_id: cell 1 already uses it"


def test_it_refuses_a_response_cell_with_no_task_before_it():
    intro = nbformat.v4.new_markdown_cell("Some introduction without any question in it.")
    message = _cells_error(intro, response_cell("r1", SCHEME))
    assert message == ("m.ipynb, cell 1, grade_id 'r1': graded response cell with no question (task or markdown) "
                       "cell before it")


@pytest.mark.parametrize("scheme_change, reason", [
    (("GOOD (7-8 points)", "GOOD (6-8 points)"), "mark scheme bands: GOOD overlaps the band below it at 6 points."),
    (("GOOD (7-8 points)", "GOOD (7-7 points)"), "mark scheme bands: No band covers 8 points."),
    (("(10 points total)", "(12 points total)"),
     "the mark scheme says 12 points total but the cell's nbgrader points are 10"),
    (("EXCELLENT (9-10 points)", "EXCELLENT (9-11 points)"),
     "mark scheme bands: EXCELLENT: the highest score (11) is above the question's 10 points."),
    (("GOOD (7-8 points)", "EXCELLENT (7-8 points)"),
     "mark scheme bands: the label 'EXCELLENT' is used by more than one band"),
    (("=== END MARK SCHEME ===", ""), "the mark scheme has a BEGIN marker but no END marker"),
])
def test_it_refuses_a_mark_scheme_whose_bands_do_not_tile_the_points(scheme_change, reason):
    message = _cells_error(task_cell("t1", QUESTION), response_cell("r1", SCHEME.replace(*scheme_change)))
    assert message == f"m.ipynb, cell 1, grade_id 'r1': {reason}"


def test_bands_disagreeing_with_the_cells_points_are_refused():
    message = _cells_error(task_cell("t1", QUESTION), response_cell("r1", SCHEME.replace(
        "GRADING CRITERIA (10 points total):\n", ""), points=8))
    assert "grade_id 'r1': mark scheme bands: EXCELLENT: the highest score (10) is above the question's 8 points." \
        in message


def test_every_error_in_a_file_is_reported_not_just_the_first():
    parsed = parse_notebook("m.ipynb", ipynb(
        task_cell("t1", QUESTION), response_cell("r1", SCHEME, points=None),
        task_cell("t2", QUESTION), response_cell("r2", SCHEME.replace("(7-8 points)", "(6-8 points)"))))
    assert [(e.cell, e.grade_id) for e in parsed.errors] == [(1, "r1"), (3, "r2")]


def test_a_task_cell_without_a_response_is_skipped_with_a_warning():
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t0", QUESTION), task_cell("t1", QUESTION),
                                             response_cell("r1", SCHEME)))
    assert [q.grade_id for q in parsed.questions] == ["r1"]
    assert str(parsed.warnings[0]) == ("m.ipynb, cell 0, grade_id 't0': task cell without a graded response cell "
                                       "after it; skipped")


def test_word_limits_default_to_150_300_and_follow_the_expected_response():
    plain = QUESTION.replace("150-300 words.", "a discussion of cost.")
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t1", plain), response_cell("r1", SCHEME)))
    assert (parsed.questions[0].min_words, parsed.questions[0].max_words) == (150, 300)
    ranged = QUESTION.replace("150-300 words.", "200–250 words on cost.")
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t1", ranged), response_cell("r1", SCHEME)))
    assert (parsed.questions[0].min_words, parsed.questions[0].max_words) == (200, 250)


def test_an_nbformat_3_notebook_is_upgraded_and_read():
    def cell(text: str, nbgrader: dict) -> dict:
        return {"cell_type": "markdown", "source": text, "metadata": {"nbgrader": nbgrader}}

    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": [
        cell(QUESTION, {"grade": False, "grade_id": "t1", "solution": False, "task": True, "locked": True}),
        cell(SCHEME, {"grade": True, "grade_id": "r1", "solution": True, "points": 10}),
    ]}]}
    parsed = parse_notebook("old.ipynb", json.dumps(v3).encode())
    assert parsed.errors == []
    assert [(q.grade_id, q.points, len(q.bands)) for q in parsed.questions] == [("r1", 10, 5)]


def test_windows_line_endings_inside_cells_read_the_same():
    crlf = ipynb(task_cell("t1", QUESTION.replace("\n", "\r\n")), response_cell("r1", SCHEME.replace("\n", "\r\n")))
    (question,) = parse_notebook("m.ipynb", crlf).questions
    assert question.prompt == "Why?" and [b.label for b in question.bands][:2] == ["EXCELLENT", "GOOD"]
    assert "\r" not in question.mark_scheme


def code_response(grade_id: str, text: str, points: int = 10, **extra) -> dict:
    meta = {"grade": True, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": True,
            "task": False, "points": points, **extra}
    return nbformat.v4.new_code_cell(text, metadata={"nbgrader": meta})


TINYTORCH_AREA = '''"""
YOUR REFLECTION ON COST:

TODO: Replace this text with your thoughtful response.

Consider addressing:
- Why is ReLU cheap?
- What does Softmax cost?

GRADING RUBRIC (Instructor Use):
- Explains the cost of exponentials (6 points)
- Connects cost to real systems (4 points)
- Clear reasoning (bonus points for depth)
"""

### BEGIN SOLUTION
# Student response area
### END SOLUTION'''


def test_the_title_is_the_questions_own_heading_not_the_section_heading_above_it():
    question = ("## Part 10: ML Systems Thinking\n\n### Reflect on Cost\n\nReLU is cheap.\n\n"
                "**Question 1**: Why is ReLU cheap?")
    parsed = parse_notebook("m.ipynb", ipynb(nbformat.v4.new_markdown_cell(question),
                                             code_response("q1", TINYTORCH_AREA)))
    (draft,) = parsed.questions
    assert (draft.title, draft.context, draft.prompt) == ("Reflect on Cost", "ReLU is cheap.", "Why is ReLU cheap?")
    assert parsed.reflection_intro == "## Part 10: ML Systems Thinking"


def test_a_sub_heading_does_not_displace_a_numbered_question_heading():
    question = "### Question 1: Cost\n\n#### Background\n\nReLU is cheap.\n\n**Question:** Why?"
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t1", question), response_cell("r1", SCHEME)))
    assert parsed.questions[0].title == "Cost"


def test_scaffolding_becomes_guidance_and_the_points_list_criteria_with_bonus_lines_as_notes():
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t1", QUESTION), code_response("r1", TINYTORCH_AREA)))
    assert parsed.errors == [] and parsed.warnings == []
    (draft,) = parsed.questions
    assert draft.guidance == "Consider addressing:\n- Why is ReLU cheap?\n- What does Softmax cost?"
    assert [(c.description, c.max_points) for c in draft.criteria] == [
        ("Explains the cost of exponentials", 6), ("Connects cost to real systems", 4)]
    assert draft.rubric_notes == "- Clear reasoning (bonus points for depth)"
    assert draft.rubric_kind == "criteria" and ranges(draft) == FIVE_BANDS


def test_criteria_that_do_not_add_up_to_the_cells_points_are_refused_naming_the_cell():
    parsed = parse_notebook("m.ipynb", ipynb(task_cell("t1", QUESTION), code_response("r1", TINYTORCH_AREA, 12)))
    assert parsed.questions == []
    assert str(parsed.errors[0]) == (
        "m.ipynb, cell 1, grade_id 'r1': rubric criteria: The criteria add up to 10 points but the question is "
        "worth 12. Make the criteria's points add up to the cell's nbgrader points.")


def test_autograder_tests_and_implementation_exercises_are_not_questions():
    tests = nbformat.v4.new_code_cell("assert relu(-1) == 0", metadata={"nbgrader": {
        "grade": True, "grade_id": "test-relu", "locked": True, "points": 5, "schema_version": 3, "solution": False,
        "task": False}})
    exercise = code_response("relu-impl", "#| export\ndef relu(x):\n    ### BEGIN SOLUTION\n    return max(0, x)\n"
                                          "    ### END SOLUTION", points=5)
    parsed = parse_notebook("m.ipynb", ipynb(nbformat.v4.new_markdown_cell("### Step 1: ReLU\n\nWrite it."),
                                             exercise, tests, task_cell("t1", QUESTION),
                                             response_cell("r1", SCHEME)))
    assert parsed.errors == [] and [q.grade_id for q in parsed.questions] == ["r1"]
    assert parsed.reflection_intro == ""  # the cell before the question is an autograder test, not an intro


def test_the_seeds_intro_and_closing_insight_are_kept():
    parsed = parse_notebook("activations_reflection.py", fixture("activations_reflection.py"))
    assert parsed.reflection_intro.startswith("## 🤔 ML Systems Thinking: Interactive Reflection")
    assert parsed.reflection_intro.endswith("These responses will be manually graded for insight and understanding")
    assert parsed.reflection_summary.startswith("**💡 Systems Insight**: The activation functions")
    assert parsed.reflection_summary.endswith("decades of ML system evolution.")
