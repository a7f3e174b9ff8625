"""Hostile notebooks: every one is refused with a reason (or read), in time linear in its size, never a 500.

The preview and the confirmation must agree: whatever the preview accepts, the database stores.
"""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.urls import reverse

from courses.models import Module, Question, RubricBand
from courses.notebooks.importer import ImportRefused, NotebookFile, notebooks_import
from courses.notebooks.parse import MAX_CELLS, answer_in, parse_notebook
from courses.rubric import BandSpec, rubric_errors, word_limit_errors
from courses.tests.factories import make_course, make_module, make_question
from courses.tests.test_notebook_parse import QUESTION, SCHEME

# No mark scheme at all: the importer makes standard bands for any points, so nothing but the points can be wrong.
NO_SCHEME = "**Your Response:**\n[Student writes their analysis here]"


def nbgrader(grade_id: str, *, task: bool, **extra) -> dict:
    meta = {"grade": not task, "grade_id": grade_id, "locked": task, "schema_version": 3, "solution": not task,
            "task": task}
    if not task:
        meta["points"] = 10
    return {"nbgrader": {**meta, **extra}}


def cell(source: str, *, kind: str = "markdown", metadata: dict | None = None) -> dict:
    found = {"cell_type": kind, "metadata": metadata or {}, "source": source}
    if kind == "code":
        found.update(outputs=[], execution_count=None)
    return found


def ipynb(*cells, metadata: dict | None = None) -> bytes:
    """The notebook as JSON with every non-ASCII character escaped, so NUL and lone surrogates survive as escapes."""
    notebook = {"nbformat": 4, "nbformat_minor": 4, "metadata": metadata or {}, "cells": list(cells)}
    return json.dumps(notebook).encode()


def seed(question: str = QUESTION, scheme: str = SCHEME, *, task_extra=None, response_extra=None,
         kind: str = "markdown") -> bytes:
    return ipynb(cell(question, metadata=nbgrader("t1", task=True, **(task_extra or {}))),
                 cell(scheme, kind=kind, metadata=nbgrader("r1", task=False, **(response_extra or {}))))


def refusal(name: str, data: bytes) -> str:
    parsed = parse_notebook(name, data)
    assert parsed.errors, f"expected {name} to be refused"
    return "\n".join(str(problem) for problem in parsed.errors)


def py_header(**meta) -> str:
    return json.dumps(nbgrader("r1", task=False, **meta))[len('{"nbgrader": '):-1]


# --- nesting -------------------------------------------------------------------------------------------------------

def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [60, 100_000])
def test_deeply_nested_json_in_an_ipynb_is_refused(depth):
    data = seed().replace(b'"metadata": {}, "cells"', f'"metadata": {nested(depth)}, "cells"'.encode())
    assert "m.ipynb: the JSON nests more than 50 levels deep" in refusal("m.ipynb", data)


def test_deeply_nested_lists_inside_a_cell_are_refused():
    data = seed(kind="code", scheme='"""\n' + SCHEME + '\n"""').replace(
        b'"outputs": []', b'"outputs": ' + b"[" * 50_000 + b"]" * 50_000)
    assert "nests more than 50 levels deep" in refusal("m.ipynb", data)


@pytest.mark.parametrize("depth", [60, 100_000])
def test_deeply_nested_metadata_in_a_percent_file_is_refused(depth):
    text = (f'# %% [markdown] nbgrader={{"grade": false, "grade_id": "t1", "task": true, "deep": {nested(depth)}}}\n'
            f'"""\n{QUESTION}\n"""\n')
    assert "m.py: the JSON nests more than 50 levels deep" in refusal("m.py", text.encode())


@pytest.mark.parametrize("code", [
    "-" * 100_000 + "1",  # MemoryError in Python's parser
    "a" + ".b" * 100_000,  # RecursionError while building the tree
    "f" + "()" * 100_000,
    "(" * 100_000,  # a SyntaxError, which was always handled
], ids=["unary minus", "attributes", "calls", "parentheses"])
def test_deeply_nested_code_after_the_docstring_does_not_stop_the_import(code):
    source = '"""\nWrite here.\n\nGRADING RUBRIC (Instructor Use):\n- Depth (10 points)\n"""\n' + code
    parsed = parse_notebook("m.ipynb", seed(scheme=source, kind="code"))
    assert parsed.errors == []
    assert parsed.questions[0].mark_scheme.startswith("GRADING RUBRIC (Instructor Use):")


# --- numbers -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("points", [3_000_000_000, 2**31, 2**63, 10**30, 1001, 0, -5, 1e308])
def test_points_outside_1_to_1000_are_refused(points):
    assert "A question is worth 1 to 1,000 points" in refusal("m.ipynb", seed(response_extra={"points": points}))


def test_a_thousand_points_with_bands_up_to_a_thousand_is_accepted():
    scheme = SCHEME.replace("(10 points total)", "(1000 points total)").replace("(9-10 points)", "(9-1000 points)")
    parsed = parse_notebook("m.ipynb", seed(scheme=scheme, response_extra={"points": 1000}))
    assert parsed.errors == [] and parsed.questions[0].points == 1000


def test_an_integer_of_thousands_of_digits_in_the_json_is_refused():
    data = seed().replace(b'"points": 10', b'"points": ' + b"9" * 5000)
    assert "m.ipynb: not JSON that can be read" in refusal("m.ipynb", data)


@pytest.mark.parametrize("change, reason", [
    (("(9-10 points)", "(9-3000000000 points)"), "EXCELLENT: the highest score (3000000000) is above"),
    (("(9-10 points)", "(9-" + "9" * 150 + " points)"), "EXCELLENT: the highest score (about 10^18) is above"),
    (("(10 points total)", "(" + "1" * 150 + " points total)"), "the mark scheme says about 10^18 points total"),
    # Too long to be a band line at all, so EXCELLENT is missing.
    (("(9-10 points)", "(9-" + "9" * 5000 + " points)"), "No band covers 9–10 points."),
    (("EXCELLENT (9-10 points)", "E" * 61 + " (9-10 points)"), "is 61 characters; the limit is 60"),
], ids=["3e9", "150 digits", "150-digit total", "5000 digits", "long label"])
def test_band_numbers_and_labels_the_database_cannot_hold_are_refused(change, reason):
    assert reason in refusal("m.ipynb", seed(scheme=SCHEME.replace(*change)))


@pytest.mark.parametrize("words, reason", [
    ("150-3000000000 words", "The maximum length is 1 to 10,000 words, not 3000000000."),
    ("0-0 words", "The maximum length is 1 to 10,000 words, not 0."),
    ("20000-30000 words", "The minimum length is 0 to 10,000 words, not 20000."),
    ("150-" + "9" * 5000 + " words", "The maximum length is 1 to 10,000 words, not about 10^18."),
], ids=["3e9", "0-0", "20000-30000", "5000 digits"])
def test_word_limits_outside_the_range_are_refused(words, reason):
    assert reason in refusal("m.ipynb", seed(QUESTION.replace("150-300 words", words)))


def test_a_zero_word_minimum_is_no_minimum_and_is_accepted():
    parsed = parse_notebook("m.ipynb", seed(QUESTION.replace("150-300 words", "0-10000 words")))
    assert parsed.errors == [] and (parsed.questions[0].min_words, parsed.questions[0].max_words) == (0, 10_000)


def test_the_shared_rubric_rule_checks_the_ranges():
    bands = [BandSpec("ALL", 0, 3_000_000_000)]
    assert rubric_errors(bands, 3_000_000_000) == ["A question is worth 1 to 1,000 points, not 3000000000."]
    assert rubric_errors([BandSpec("X" * 61, 0, 10)], 10) == [
        f"The label {'X' * 40 + '…'!r} is 61 characters; the limit is 60."]
    assert word_limit_errors(0, 10_000) == []
    assert word_limit_errors(300, 150) == ["The word range 300-150 runs backwards."]


# --- time ----------------------------------------------------------------------------------------------------------

# Each took seconds to minutes at 60 KB in the old patterns (a 60 KB label line took 23.5 s).
SLOW_LINES = {
    "label with spaces": "**a" + " " * 60_000 + "x",
    "heading with spaces": "# a" + " " * 60_000 + "b",
    "a run of digits": "1" * 60_000,
    "band label with spaces": "A" + " " * 60_000 + "x",
    "spaces alone": " " * 60_000 + "x",
    "total line with spaces": "GRADING CRITERIA (10 points)" + " " * 60_000 + "x",
    "target line with spaces": "Target length: 1-2 words" + " " * 60_000 + "x",
    "criterion with parentheses": "- " + "(1 " * 20_000,
}


@pytest.mark.parametrize("shape", SLOW_LINES)
@pytest.mark.parametrize("fmt", ["ipynb", "py"])
def test_a_60_kb_line_of_any_shape_parses_quickly(shape, fmt):
    line = SLOW_LINES[shape]
    # A total line in a question cell would be refused as mark-scheme text, so that one goes in the scheme only.
    question = QUESTION if shape == "total line with spaces" else f"{QUESTION}\n\n{line}\n\n{line}"
    data = seed(question, SCHEME.replace("- Deep", f"- Deep\n{line}\n{line}"))
    if fmt == "py":
        import jupytext
        import nbformat

        data = jupytext.writes(nbformat.reads(data.decode(), as_version=4), fmt="py:percent").encode()
    started = time.perf_counter()
    parsed = parse_notebook(f"m.{fmt}", data)
    elapsed = time.perf_counter() - started
    assert len(parsed.questions) == 1
    # Linear patterns take well under 0.5 s here; the budget leaves room for a loaded machine.
    assert elapsed < 3, f"{shape} took {elapsed:.1f}s"


CRITERIA_SLOW_LINES = {
    **SLOW_LINES,
    "criterion with spaces before its points": "- a" + " " * 60_000 + "(3 points)",
    "indented levels": " " * 60_000 + "- x",
    "brackets": "[" * 30_000 + "]" * 30_000,
    "capitals": "YOUR " + "A" * 60_000,
    "notes marker with spaces": "RUBRIC NOTES:" + " " * 60_000 + "x",
}


@pytest.mark.parametrize("shape", CRITERIA_SLOW_LINES)
def test_a_60_kb_line_in_a_criteria_answer_area_parses_quickly(shape):
    line = CRITERIA_SLOW_LINES[shape]
    area = (f'"""\nYOUR RESPONSE HERE\n{line}\n[Consider:\n- why\n{line}]\n\nGRADING RUBRIC (Instructor Use):\n'
            f"- Depth (6 points)\n  {line}\n{line}\n- Breadth (4 points)\n- Style (bonus points)\n{line}\n"
            f'RUBRIC NOTES:\n{line}\n"""')
    started = time.perf_counter()
    parsed = parse_notebook("m.ipynb", seed(scheme=area, kind="code"))
    answer = answer_in("code", area, line)
    elapsed = time.perf_counter() - started
    assert elapsed < 3, f"{shape} took {elapsed:.1f}s"
    assert "GRADING" not in answer
    if shape == "criterion with spaces before its points":
        # Two more 3-point criteria of their own: refused with the reason, not slowly.
        assert "The criteria add up to 16 points but the question is worth 10" in str(parsed.errors[0])
        return
    assert len(parsed.questions) == 1 and parsed.questions[0].rubric_kind == "criteria"
    assert [c.max_points for c in parsed.questions[0].criteria] == [6, 4]


@pytest.mark.parametrize("fmt", ["ipynb", "py"])
def test_more_cells_than_any_course_notebook_has_are_refused_before_reading_them(fmt):
    if fmt == "ipynb":
        data = ipynb(*[cell("x") for _ in range(MAX_CELLS + 1)])
    else:
        data = ("# %%\nx = 1\n" * (MAX_CELLS + 1)).encode()
    assert f"m.{fmt}: the notebook has more than 2,000 cells" in refusal(f"m.{fmt}", data)


# --- the mark scheme in a question cell ------------------------------------------------------------------------------

@pytest.mark.parametrize("leak", [
    SCHEME,
    "=== BEGIN MARK SCHEME ===\nReward exponentials.",
    "Reward exponentials.\n=== END MARK SCHEME ===",
    "Look: === begin mark scheme === inline",
    "GRADING RUBRIC (Instructor Use):\n- Depth (10 points)",
    "### Grading criteria (10 points total):",
], ids=["whole scheme", "begin", "end", "inline", "variant rubric", "criteria heading"])
def test_a_question_cell_holding_the_mark_scheme_is_refused_naming_the_cell(leak):
    message = refusal("m.ipynb", seed(f"{QUESTION}\n\n{leak}"))
    assert "m.ipynb, cell 0, grade_id 't1': the question cell holds mark-scheme text" in message
    assert "students would see" in message


def test_a_plain_markdown_question_cell_holding_the_mark_scheme_is_refused_with_the_response_grade_id():
    data = ipynb(cell(f"{QUESTION}\n\n=== BEGIN MARK SCHEME ===\nsecret\n=== END MARK SCHEME ==="),
                 cell(SCHEME, metadata=nbgrader("r1", task=False)))
    assert "m.ipynb, cell 0, grade_id 'r1': the question cell holds mark-scheme text" in refusal("m.ipynb", data)


def test_a_prompt_that_only_mentions_grading_criteria_is_read():
    question = QUESTION.replace("Why?", "Why? Suggest grading criteria a TA could apply to a mark scheme.")
    assert parse_notebook("m.ipynb", seed(question)).errors == []


# --- text a database cannot store ----------------------------------------------------------------------------------

@pytest.mark.parametrize("char, reason", [
    ("\x00", "holds a NUL character (\\x00), which cannot be stored"),
    ("\ud800", "holds a lone surrogate (\\ud800), which is not valid Unicode"),
    ("\udfff", "holds a lone surrogate (\\udfff), which is not valid Unicode"),
])
@pytest.mark.parametrize("where", ["question", "mark scheme", "metadata", "notebook metadata"])
def test_nul_and_lone_surrogates_anywhere_are_refused(char, reason, where):
    data = {
        "question": lambda: seed(QUESTION.replace("Why?", f"Why{char}?")),
        "mark scheme": lambda: seed(scheme=SCHEME.replace("- Deep", f"- De{char}ep")),
        "metadata": lambda: seed(response_extra={"note": f"a{char}"}),
        "notebook metadata": lambda: ipynb(cell(QUESTION, metadata=nbgrader("t1", task=True)),
                                           cell(SCHEME, metadata=nbgrader("r1", task=False)),
                                           metadata={"title": f"x{char}"}),
    }[where]()
    message = refusal("m.ipynb", data)
    assert reason in message
    cell_named = {"question": "cell 0, grade_id 't1'", "mark scheme": "cell 1, grade_id 'r1'",
                  "metadata": "cell 1, grade_id 'r1'", "notebook metadata": "m.ipynb: the text"}[where]
    assert cell_named in message


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_nul_and_lone_surrogates_in_percent_format_metadata_are_refused(escape):
    text = (f'# %% [markdown] nbgrader={{"grade": false, "grade_id": "t1", "task": true, "note": "{escape}"}}\n'
            f'"""\n{QUESTION}\n"""\n\n# %% [markdown] nbgrader={py_header()}\n"""\n{SCHEME}\n"""\n')
    message = refusal("m.py", text.encode())
    assert "m.py, cell 0, grade_id 't1': the text holds a" in message


# --- preview and confirm agree, and a refusal writes nothing ---------------------------------------------------------

def counts() -> tuple[int, int, int]:
    return Module.objects.count(), Question.objects.count(), RubricBand.objects.count()


HOSTILE_FILES = {
    "nested JSON": ("m.ipynb", lambda: seed().replace(b'"metadata": {}, "cells"',
                                                      f'"metadata": {nested(100_000)}, "cells"'.encode())),
    # The preview used to accept these (standard bands scaled to any points) and confirming then 500ed or stored them.
    "3e9 points": ("m.ipynb", lambda: seed(scheme=NO_SCHEME, response_extra={"points": 3_000_000_000})),
    "2^31 points": ("m.ipynb", lambda: seed(scheme=NO_SCHEME, response_extra={"points": 2**31})),
    "1001 points": ("m.ipynb", lambda: seed(scheme=NO_SCHEME, response_extra={"points": 1001})),
    "3000-point bands": ("m.ipynb", lambda: seed(
        scheme=SCHEME.replace("(10 points total)", "(3000 points total)").replace("(9-10 points)", "(9-3000 points)"),
        response_extra={"points": 3000})),
    "2^31 word limit": ("m.ipynb", lambda: seed(QUESTION.replace("150-300", f"150-{2**31}"))),
    "2^31 band bound": ("m.ipynb", lambda: seed(scheme=SCHEME.replace("(9-10 points)", f"(9-{2**31} points)"))),
    "5000-digit band": ("m.ipynb", lambda: seed(scheme=SCHEME.replace("(9-10 points)", f"(9-{'9' * 5000} points)"))),
    "NUL": ("m.ipynb", lambda: seed(QUESTION.replace("Why?", "Why\x00?"))),
    "lone surrogate": ("m.ipynb", lambda: seed(QUESTION.replace("Why?", "Why\ud800?"))),
    "mark scheme in the prompt": ("m.ipynb", lambda: seed(QUESTION + "\n\n" + SCHEME)),
    "61-character band label": ("m.ipynb", lambda: seed(scheme=SCHEME.replace("GOOD (7-8", "G" * 61 + " (7-8"))),
    "huge module number": ("123456789012_big.ipynb", seed),
    "module number of 5000 digits": ("9" * 5000 + "_big.ipynb", seed),
    "module slug over 50 characters": ("s" * 51 + ".ipynb", seed),
}


@pytest.fixture
def instructor_client(client, world):
    client.force_login(world.instructor)
    return client


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_the_preview_refuses_each_hostile_file_with_a_reason_and_writes_nothing(instructor_client, world, case):
    name, build = HOSTILE_FILES[case]
    before = counts()
    response = instructor_client.post(reverse("authoring:import", args=[world.course.slug]),
                                      {"files": [SimpleUploadedFile(name, build())]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Import refused: nothing was written" in page and 'name="payload"' not in page
    assert counts() == before


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_the_importer_refuses_each_hostile_file_and_writes_nothing(world, case):
    name, build = HOSTILE_FILES[case]
    before = counts()
    with pytest.raises(ImportRefused) as refused:
        notebooks_import(course=world.course, files=[NotebookFile(name, build())], module_slug=None)
    assert refused.value.plan.errors
    assert counts() == before


def test_the_command_refuses_a_3e9_point_question_and_writes_nothing(world, tmp_path):
    path = tmp_path / "03_cost.ipynb"
    path.write_bytes(seed(scheme=NO_SCHEME, response_extra={"points": 3_000_000_000}))
    before = counts()
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_notebook", str(path), "--course", world.course.slug, stdout=StringIO(), stderr=err)
    assert "A question is worth 1 to 1,000 points, not 3000000000." in err.getvalue()
    assert counts() == before


def preview_then_confirm(client, course, name: str, data: bytes):
    url = reverse("authoring:import", args=[course.slug])
    preview = client.post(url, {"files": [SimpleUploadedFile(name, data)]})
    assert preview.status_code == 200, preview.content.decode()
    payload = preview.content.decode().split('name="payload" value="', 1)[1].split('"', 1)[0]
    return client.post(url, {"payload": payload})


def test_a_graded_code_cell_with_deeply_nested_code_previews_and_confirms(instructor_client, world):
    source = '"""\nWrite here.\n\nGRADING RUBRIC (Instructor Use):\n- Depth (10 points)\n"""\n' + "-" * 100_000 + "1"
    assert preview_then_confirm(instructor_client, world.course, "05_deep.ipynb",
                                seed(scheme=source, kind="code")).status_code == 302
    assert Question.objects.get(module__slug="deep", grade_id="r1").mark_scheme.startswith("GRADING RUBRIC")


def test_values_at_the_edge_of_every_range_preview_and_then_confirm(instructor_client, world):
    """What the preview accepts the database stores: the biggest legal values on the way in."""
    scheme = (SCHEME.replace("(10 points total)", "(1000 points total)").replace("(9-10 points)", "(9-1000 points)")
              .replace("GOOD (7-8", "G" * 60 + " (7-8"))
    data = seed(QUESTION.replace("150-300 words", "0-10000 words"), scheme, response_extra={"points": 1000})
    confirmed = preview_then_confirm(instructor_client, world.course, "999_" + "s" * 50 + ".ipynb", data)
    assert confirmed.status_code == 302
    question = Question.objects.get(module__course=world.course, module__slug="s" * 50, grade_id="r1")
    assert (question.module.number, question.points, question.min_words, question.max_words) == (999, 1000, 0, 10_000)
    assert question.bands.get(min_points=9).max_points == 1000
    assert question.bands.filter(label="G" * 60).exists()


# --- the database holds the ranges ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"points": 1001}, {"points": 0}, {"min_words": 10_001, "max_words": 10_001}, {"max_words": 10_001},
    {"min_words": 0, "max_words": 0},
])
def test_the_database_refuses_a_question_outside_the_ranges(db, fields):
    module = make_module(make_course())
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(module=module, number=1, grade_id="q", title="Q", prompt="Why?", **fields)


@pytest.mark.parametrize("bounds", [(0, 1001), (1001, 1001)])
def test_the_database_refuses_a_band_beyond_a_thousand_points(db, bounds):
    question = make_question(make_module(make_course()))
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricBand.objects.create(question=question, position=9, label="HUGE", min_points=bounds[0],
                                  max_points=bounds[1])


def test_forms_and_the_admin_say_which_range_a_value_breaks(db):
    form = modelform_factory(Question, fields=["points", "min_words", "max_words"])(
        {"points": "3000000000", "min_words": "0", "max_words": "10001"})
    assert not form.is_valid()
    assert form.errors["points"] == ["Ensure this value is less than or equal to 1000."]
    assert form.errors["max_words"] == ["Ensure this value is less than or equal to 10000."]
    band_form = modelform_factory(RubricBand, fields=["label", "position", "min_points", "max_points"])(
        {"label": "X", "position": "0", "min_points": "0", "max_points": "1001"})
    assert band_form.errors["max_points"] == ["Ensure this value is less than or equal to 1000."]
