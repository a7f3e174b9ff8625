"""Export → import → export gives the same file for every question, however its rubric was made: imported bands,
imported criteria with bonus notes, bands and criteria made or edited in reflect, notes, guidance and module text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.models import Module, Question, RubricBand, RubricCriterion, RubricKind
from courses.notebooks.export import build_notebook, module_notebook, notebook_text
from courses.notebooks.importer import NotebookFile, bands_replace, notebooks_import
from courses.notebooks.parse import BandDraft, CriterionDraft, parse_notebook, scaled_standard_bands
from courses.tests.factories import make_course, make_module, make_question

NOTEBOOKS = Path(__file__).parent / "notebooks"
TINYTORCH = NOTEBOOKS / "tinytorch" / "modules" / "source"


def state(module: Module) -> list:
    """Everything of a module a notebook carries."""
    questions = module.questions.order_by("number")
    return [module.title, module.reflection_intro, module.reflection_summary] + [
        (q.grade_id, q.title, q.context, q.prompt, q.guidance, q.expected_response, q.points, q.min_words,
         q.max_words, q.rubric_kind, q.rubric_notes,
         [(b.label, b.min_points, b.max_points, b.description) for b in q.bands.order_by("position")],
         [(c.description, c.max_points, c.levels) for c in q.criteria.order_by("position")])
        for q in questions]


def round_trip(module: Module, fmt: str) -> tuple[str, str, Module]:
    """The module's export, the export of that file imported into a new course, and the new module."""
    first = notebook_text(module_notebook(module), fmt)
    target = make_course(f"copy-{Module.objects.count()}")
    notebooks_import(course=target, files=[NotebookFile(f"{module.number:02d}_{module.slug}.{fmt}", first.encode())])
    copy = target.modules.get(slug=module.slug)
    return first, notebook_text(module_notebook(copy), fmt), copy


def imported(path: Path, slug: str) -> Module:
    course = make_course(f"source-{slug}")
    notebooks_import(course=course, files=[NotebookFile(str(path), path.read_bytes())])
    return course.modules.get(slug=slug)


@pytest.fixture(params=["ipynb", "py"])
def fmt(request) -> str:
    return request.param


def test_imported_seed_bands(db, fmt):
    module = imported(NOTEBOOKS / "activations_reflection.py", "activations-reflection")
    first, second, copy = round_trip(module, fmt)
    assert first == second and state(copy)[1:] == state(module)[1:]
    assert copy.reflection_summary.startswith("**💡 Systems Insight**")


def test_imported_tinytorch_criteria_with_bonus_notes_and_guidance(db, fmt):
    module = imported(TINYTORCH / "03_activations" / "activations_dev.py", "activations")
    first, second, copy = round_trip(module, fmt)
    assert first == second and state(copy) == state(module)
    question = copy.questions.get(number=1)
    assert question.rubric_kind == RubricKind.CRITERIA and question.rubric_notes.startswith("- Clear technical")
    assert question.guidance.startswith("Consider addressing:")


def test_imported_bracketed_guidance_with_standard_bands(db, fmt):
    module = imported(TINYTORCH / "02_tensor" / "tensor_dev.py", "tensor")
    first, second, copy = round_trip(module, fmt)
    assert first == second and state(copy) == state(module)


def test_bands_made_then_edited_in_reflect_with_notes(db, fmt):
    module = make_module(make_course("authored"), 5, slug="losses", title="Losses",
                         reflection_intro="Answer both.", reflection_summary="Loss shapes learning.")
    question = make_question(module, 1, grade_id="q1", points=10, rubric_notes="Bonus: mentions label smoothing.")
    bands_replace(question=question, bands=[BandDraft("TOP", 8, 10, "- Sharp"), BandDraft("MIDDLE", 3, 7),
                                             BandDraft("LOW", 0, 2, "Thin.\n\nVery thin.")])
    make_question(module, 2, grade_id="q2", points=4, mark_scheme="", bands=[
        (b.label, b.min_points, b.max_points, b.description) for b in scaled_standard_bands(4)])
    first, second, copy = round_trip(module, fmt)
    assert first == second
    assert state(copy) == state(module)


def test_criteria_made_in_reflect_with_levels_notes_and_a_free_text_mark_scheme(db, fmt):
    module = make_module(make_course("analytic"), 2, slug="optimizers", title="Optimizers")
    question = make_question(
        module, 1, grade_id="opt-1", points=8, rubric_kind=RubricKind.CRITERIA,
        mark_scheme="Look for:\n- memory arithmetic\n- a trade-off named", guidance="- What does Adam store?",
        rubric_notes="- Bonus for mixed precision\nAsk the TA channel when unsure.",
        bands=[(b.label, b.min_points, b.max_points, b.description) for b in scaled_standard_bands(8)])
    RubricCriterion.objects.bulk_create([
        RubricCriterion(question=question, position=0, description="Calculates memory (with O(n) terms)",
                        max_points=5, levels="5: exact\n\n3: close\n  - off by a factor"),
        RubricCriterion(question=question, position=1, description="Names a trade-off", max_points=3),
    ])
    first, second, copy = round_trip(module, fmt)
    assert first == second
    assert state(copy) == state(module)


def test_criteria_edited_after_import_are_written_as_they_are_now(db, fmt):
    module = imported(TINYTORCH / "03_activations" / "activations_dev.py", "activations")
    question = module.questions.get(number=1)
    RubricCriterion.objects.filter(question=question, position=0).update(max_points=4, description="Efficiency")
    RubricCriterion.objects.filter(question=question, position=1).update(max_points=2)
    Question.objects.filter(pk=question.pk).update(rubric_notes="")
    first, second, copy = round_trip(module, fmt)
    assert first == second
    copied = copy.questions.get(number=1)
    assert [(c.description, c.max_points) for c in copied.criteria.all()][:2] == [("Efficiency", 4), (
        "Addresses numerical stability concerns in large-scale systems", 2)]
    assert copied.rubric_notes == ""


def test_a_question_switched_to_bands_in_reflect_is_written_as_bands(db, fmt):
    module = imported(TINYTORCH / "03_activations" / "activations_dev.py", "activations")
    question = module.questions.get(number=2)
    Question.objects.filter(pk=question.pk).update(rubric_kind=RubricKind.BANDS)
    RubricCriterion.objects.filter(question=question).delete()
    first, second, copy = round_trip(module, fmt)
    assert first == second
    copied = copy.questions.get(number=2)
    assert copied.rubric_kind == RubricKind.BANDS and not copied.criteria.exists()
    assert [(b.label, b.min_points, b.max_points) for b in copied.bands.all()] == [
        (b.label, b.min_points, b.max_points) for b in RubricBand.objects.filter(question=question)]


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZéü学", min_size=1, max_size=10)
PHRASE = st.lists(WORD, min_size=1, max_size=5).map(" ".join)
LEVELS = st.lists(st.one_of(PHRASE.map(lambda p: f"- {p}"), PHRASE, st.just("")), max_size=4).map(
    lambda lines: "\n".join(lines).strip("\n"))
NOTES = st.one_of(st.just(""), st.lists(st.one_of(PHRASE, PHRASE.map(lambda p: f"- {p}")), min_size=1, max_size=3)
                  .map("\n".join))


@st.composite
def criteria_questions(draw):
    shares = draw(st.lists(st.integers(1, 5), min_size=1, max_size=5))
    criteria = [CriterionDraft(draw(PHRASE), share, draw(LEVELS)) for share in shares]
    points = sum(shares)
    question = Question(pk=1, number=1, grade_id="c1", title=draw(PHRASE), prompt=draw(PHRASE), points=points,
                        rubric_kind=RubricKind.CRITERIA, rubric_notes=draw(NOTES), guidance=draw(NOTES),
                        mark_scheme=draw(st.one_of(st.just(""), PHRASE)))
    bands = [RubricBand(label=b.label, min_points=b.min_points, max_points=b.max_points, description=b.description)
             for b in scaled_standard_bands(points)]
    rows = [RubricCriterion(description=c.description, max_points=c.max_points, levels=c.levels) for c in criteria]
    return question, bands, rows, criteria


@settings(max_examples=150, deadline=None)
@given(item=criteria_questions(), fmt=st.sampled_from(["ipynb", "py"]))
def test_the_parser_reads_back_whatever_criteria_notes_and_guidance_the_exporter_writes(item, fmt):
    question, bands, rows, criteria = item
    text = notebook_text(build_notebook("# 01. Generated", [(question, bands, rows)]), fmt)
    parsed = parse_notebook(f"generated.{fmt}", text.encode())
    assert parsed.errors == []
    (draft,) = parsed.questions
    assert draft.rubric_kind == "criteria"
    assert list(draft.criteria) == criteria
    assert (draft.rubric_notes, draft.guidance) == (question.rubric_notes.strip(), question.guidance.strip())


def test_exporting_a_module_of_many_criteria_questions_takes_three_queries(db, django_assert_num_queries):
    module = make_module(make_course("many"), 1, slug="many")
    for number in range(1, 13):
        question = make_question(module, number, rubric_kind=RubricKind.CRITERIA, rubric_notes="- bonus")
        RubricCriterion.objects.bulk_create(RubricCriterion(question=question, position=i, description=f"C{i}",
                                                            max_points=5) for i in range(2))
    # questions, their bands, their criteria
    with django_assert_num_queries(3):
        notebook = module_notebook(module)
    assert sum(1 for cell in notebook.cells if "(5 points)" in cell.source) == 12
