"""Importing notebooks into a course: the command, re-imports, graded questions, atomicity, module naming."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from courses.models import Module, Question, Response, RubricBand
from courses.notebooks.importer import ImportRefused, NotebookFile, module_for_file, notebooks_import
from courses.tests.factories import make_course, make_module, make_question, make_response, make_user
from grading.models import Grade, GradeEvent, GradeEventKind

FIXTURES = Path(__file__).parent / "notebooks"
SEED = FIXTURES / "activations_reflection.py"
FIVE_BANDS = [("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
              ("NO CREDIT", 0, 0)]


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_notebook", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> list:
    """Everything an import could touch, to prove a refused import wrote nothing."""
    return [
        list(Module.objects.order_by("pk").values()),
        list(Question.objects.order_by("pk").values()),
        list(RubricBand.objects.order_by("pk").values()),
        list(Response.objects.order_by("pk").values()),
        list(Grade.objects.order_by("pk").values()),
    ]


def band_ranges(question: Question) -> list[tuple[str, int, int]]:
    return [(b.label, b.min_points, b.max_points) for b in question.bands.order_by("position")]


def grade(response: Response, score: int, grader) -> Grade:
    band = response.question.bands.get(min_points__lte=score, max_points__gte=score)
    return Grade.objects.create(response=response, band=band, score=score, points=response.question.points,
                                graded_by=grader)


@pytest.fixture
def course(db):
    return make_course("ml-systems")


def test_the_seed_imports_through_the_command_as_three_ten_point_questions(course):
    out, _ = run(SEED, "--course", "ml-systems", "--module", "activations")
    module = Module.objects.get(course=course, slug="activations")
    questions = list(module.questions.order_by("number"))
    assert [q.grade_id for q in questions] == [f"systems-thinking-response-{n}" for n in (1, 2, 3)]
    assert [q.number for q in questions] == [1, 2, 3]
    for question in questions:
        assert question.points == 10
        assert band_ranges(question) == FIVE_BANDS
        assert question.mark_scheme.startswith("GRADING CRITERIA (10 points total):")
        assert question.bands.get(label="NO CREDIT").description.startswith("- No response")
    assert "[1/1] " in out and "3 to create" in out and "Imported 1 file(s): 3 created" in out


def test_importing_the_same_file_again_reports_every_question_unchanged(course):
    run(SEED, "--course", "ml-systems")
    before = snapshot()
    out, _ = run(SEED, "--course", "ml-systems")
    assert "0 to create, 0 to update, 3 unchanged" in out
    assert snapshot() == before


def test_a_reimport_updates_changed_text_by_grade_id_and_leaves_responses_alone(course, tmp_path):
    run(SEED, "--course", "ml-systems", "--module", "activations")
    question = Question.objects.get(grade_id="systems-thinking-response-2")
    response = make_response(make_user(), question, "my own answer " * 40)
    response_before = list(Response.objects.values())
    edited = tmp_path / "activations_reflection.py"
    edited.write_text(SEED.read_text().replace("Numerical Stability in Large Systems", "Stability at Scale"))
    out, _ = run(edited, "--course", "ml-systems", "--module", "activations")
    assert "0 to create, 1 to update, 2 unchanged" in out
    question.refresh_from_db()
    assert question.title == "Stability at Scale" and question.pk == response.question_id
    assert list(Response.objects.values()) == response_before


def test_the_file_name_names_the_module_and_missing_modules_are_created(course, tmp_path):
    shutil.copy(SEED, tmp_path / "02_activations.py")
    run(tmp_path / "02_activations.py", "--course", "ml-systems")
    module = Module.objects.get(course=course)
    assert (module.number, module.slug, module.title) == (2, "activations", "Activations")


@pytest.mark.parametrize("name, expected", [
    ("02_activations.py", (2, "activations")), ("10-loss_functions.ipynb", (10, "loss-functions")),
    ("activations_reflection.py", (None, "activations-reflection")), ("dir/03_Tensors.ipynb", (3, "tensors")),
])
def test_module_for_file(name, expected):
    assert module_for_file(name) == expected


def test_a_module_number_taken_by_another_module_is_refused(course, tmp_path):
    make_module(course, 2, slug="tensors")
    shutil.copy(SEED, tmp_path / "02_activations.py")
    with pytest.raises(CommandError):
        _, err = run(tmp_path / "02_activations.py", "--course", "ml-systems")
    assert Module.objects.filter(course=course).count() == 1


def test_grade_ids_may_repeat_across_modules(course, tmp_path):
    for name in ("01_first.py", "02_second.py"):
        shutil.copy(SEED, tmp_path / name)
    run(tmp_path / "01_first.py", tmp_path / "02_second.py", "--course", "ml-systems")
    assert Question.objects.filter(grade_id="systems-thinking-response-1").count() == 2


def test_a_grade_id_twice_in_one_module_across_files_is_refused(course, tmp_path):
    for name in ("a.py", "b.py"):
        shutil.copy(SEED, tmp_path / name)
    with pytest.raises(CommandError):
        run(tmp_path / "a.py", tmp_path / "b.py", "--course", "ml-systems", "--module", "same")
    assert not Module.objects.exists()


def test_a_dry_run_writes_nothing(course):
    out, _ = run(SEED, "--course", "ml-systems", "--dry-run")
    assert "Dry run, nothing written. Would have: 3 created" in out
    assert not Question.objects.exists() and not Module.objects.exists()


def test_one_bad_file_refuses_the_whole_import_and_names_file_cell_and_grade_id(course, tmp_path):
    run(SEED, "--course", "ml-systems", "--module", "activations")
    before = snapshot()
    good = tmp_path / "03_good.py"
    shutil.copy(SEED, good)
    bad = tmp_path / "04_bad.py"
    bad.write_text(SEED.read_text().replace('"task": false, "points": 10}', '"task": false}', 1))
    err = StringIO()
    with pytest.raises(CommandError, match="Import refused: 1 error"):
        call_command("import_notebook", str(good), str(bad), "--course", "ml-systems", stdout=StringIO(), stderr=err)
    assert f"error: {bad}, cell 3, grade_id 'systems-thinking-response-1': missing points" in err.getvalue()
    assert snapshot() == before


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary", b"{not json"])
def test_empty_binary_and_broken_files_exit_non_zero_and_change_nothing(course, tmp_path, content):
    path = tmp_path / "05_broken.ipynb"
    path.write_bytes(content)
    with pytest.raises(CommandError):
        run(path, "--course", "ml-systems")
    assert not Module.objects.exists()


def test_an_unknown_course_or_file_is_a_clear_error(course, tmp_path):
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        run(SEED, "--course", "nope")
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.py", "--course", "ml-systems")


def test_a_question_with_responses_is_never_deleted_but_one_without_is(course, tmp_path):
    module = make_module(course, 1, slug="activations")
    answered = make_question(module, 1, grade_id="old-answered")
    make_question(module, 2, grade_id="old-unanswered")
    make_response(make_user(), answered)
    out, _ = run(SEED, "--course", "ml-systems", "--module", "activations")
    assert "1 to delete" in out
    assert "is not in the file but has 1 responses, so it is kept" in out
    grade_ids = list(module.questions.order_by("number").values_list("grade_id", "number"))
    assert grade_ids == [("systems-thinking-response-1", 1), ("systems-thinking-response-2", 2),
                         ("systems-thinking-response-3", 3), ("old-answered", 4)]


def test_reordering_questions_renumbers_them_without_clashes(course, tmp_path):
    run(SEED, "--course", "ml-systems", "--module", "activations")
    text = SEED.read_text()
    cells = text.split("# %% ")
    # Cells: [header, intro, task1, resp1, task2, resp2, task3, resp3, outro]; put question 3 first.
    reordered = "# %% ".join([cells[0], cells[1], cells[6], cells[7], cells[2], cells[3], cells[4], cells[5], cells[8]])
    path = tmp_path / "activations_reflection.py"
    path.write_text(reordered)
    out, _ = run(path, "--course", "ml-systems", "--module", "activations")
    assert "0 to create, 3 to update, 0 unchanged" in out
    numbers = dict(Question.objects.values_list("grade_id", "number"))
    assert numbers == {"systems-thinking-response-3": 1, "systems-thinking-response-1": 2,
                       "systems-thinking-response-2": 3}


def _graded_setup(course):
    run(SEED, "--course", "ml-systems", "--module", "activations")
    question = Question.objects.get(grade_id="systems-thinking-response-1")
    grader = make_user("grader")
    graded = grade(make_response(make_user(), question), 8, grader)
    return question, graded, grader


def _rescaled_seed(tmp_path) -> Path:
    """The seed with question 1's GOOD and SATISFACTORY bands moved: 7-8 → 6-8 and 5-6 → 5-5."""
    text = SEED.read_text()
    first, rest = text.split("systems-thinking-task-2", 1)
    first = first.replace("GOOD (7-8 points):", "GOOD (6-8 points):").replace(
        "SATISFACTORY (5-6 points):", "SATISFACTORY (5 points):")
    path = tmp_path / "activations_reflection.py"
    path.write_text(first + "systems-thinking-task-2" + rest)
    return path


def test_changing_the_bands_of_a_graded_question_is_refused_without_force(course, tmp_path):
    _graded_setup(course)
    before = snapshot()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_notebook", str(_rescaled_seed(tmp_path)), "--course", "ml-systems", "--module",
                     "activations", stdout=StringIO(), stderr=err)
    assert "grade_id 'systems-thinking-response-1': changes the bands of a question that already has grades" \
        in err.getvalue()
    assert snapshot() == before


def test_with_force_the_bands_change_and_the_grades_are_flagged_for_review(course, tmp_path):
    question, graded, grader = _graded_setup(course)
    out, _ = run(_rescaled_seed(tmp_path), "--course", "ml-systems", "--module", "activations", "--force",
                 "--actor", "grader")
    assert "its grades will be flagged for review" in out
    assert band_ranges(question) == [("EXCELLENT", 9, 10), ("GOOD", 6, 8), ("SATISFACTORY", 5, 5),
                                     ("NEEDS IMPROVEMENT", 1, 4), ("NO CREDIT", 0, 0)]
    graded.refresh_from_db()
    assert graded.needs_review and graded.score == 8 and graded.band.label == "GOOD"
    event = GradeEvent.objects.get(kind=GradeEventKind.FLAGGED)
    assert event.actor == grader and event.old_band == "GOOD" and "bands" in event.note


def test_force_needs_an_actor_to_record_in_the_audit(course, tmp_path):
    _graded_setup(course)
    with pytest.raises(CommandError):
        run(_rescaled_seed(tmp_path), "--course", "ml-systems", "--module", "activations", "--force")
    assert not Grade.objects.filter(needs_review=True).exists()


def test_forced_points_change_keeps_every_grade_on_an_existing_band(course, tmp_path):
    question, graded, grader = _graded_setup(course)
    text = SEED.read_text()
    first, rest = text.split("systems-thinking-task-2", 1)
    first = (first.replace('"points": 10}', '"points": 15}').replace("(10 points total)", "(15 points total)")
             .replace("EXCELLENT (9-10 points)", "TOP (13-15 points)")
             .replace("GOOD (7-8 points)", "GOOD (7-12 points)"))
    path = tmp_path / "activations_reflection.py"
    path.write_text(first + "systems-thinking-task-2" + rest)
    run(path, "--course", "ml-systems", "--module", "activations", "--force", "--actor", "grader")
    question.refresh_from_db()
    assert question.points == 15
    assert band_ranges(question)[:2] == [("TOP", 13, 15), ("GOOD", 7, 12)]
    graded.refresh_from_db()
    assert graded.needs_review and graded.band.label == "GOOD" and graded.points == 10


def test_the_service_reports_per_file_and_raises_with_the_whole_plan(course):
    bad = NotebookFile("bad.ipynb", b"{oops")
    with pytest.raises(ImportRefused) as refused:
        notebooks_import(course=course, files=[NotebookFile("02_activations.py", SEED.read_bytes()), bad])
    first, second = refused.value.plan.files
    assert first.errors == [] and len(first.creates) == 3
    assert str(second.errors[0]).startswith("bad.ipynb: not JSON")
    assert not Question.objects.exists()


def test_importing_every_fixture_together(course):
    files = [NotebookFile(path.name, path.read_bytes()) for path in sorted(FIXTURES.glob("0*.py"))]
    plan = notebooks_import(course=course, files=files)
    assert plan.applied
    assert list(Module.objects.order_by("number").values_list("number", "slug")) == [
        (2, "activations-variant"), (3, "precision-mixed")]
    assert list(Question.objects.order_by("module__number", "number").values_list("points", flat=True)) == [
        10, 15, 3, 8]


def test_a_module_option_that_is_not_a_slug_is_refused(course):
    with pytest.raises(CommandError):
        run(SEED, "--course", "ml-systems", "--module", "Not A Slug")
    assert not Module.objects.exists()


def test_band_criteria_text_and_band_order_changes_on_a_graded_question_need_no_force(course, tmp_path):
    question, graded, _grader = _graded_setup(course)
    text = SEED.read_text()
    first, rest = text.split("systems-thinking-task-2", 1)
    good_block = first[first.index("GOOD (7-8 points):"):first.index("SATISFACTORY (5-6 points):")]
    first = first.replace(good_block, "").replace("NO CREDIT (0 points):", good_block + "NO CREDIT (0 points):")
    first = first.replace("- Good understanding of activation function efficiency differences",
                          "- A sound grasp of why the activations differ in cost")
    path = tmp_path / "activations_reflection.py"
    path.write_text(first + "systems-thinking-task-2" + rest)
    out, _ = run(path, "--course", "ml-systems", "--module", "activations")
    assert "0 to create, 1 to update, 2 unchanged" in out
    good = question.bands.get(label="GOOD")
    assert good.description.startswith("- A sound grasp") and good.position == 1
    assert good.pk == graded.band_id
    graded.refresh_from_db()
    assert not graded.needs_review


def test_numbered_files_claim_their_numbers_before_unnumbered_ones_take_the_next_free(course, tmp_path):
    make_module(course, 1, slug="tensors")
    shutil.copy(SEED, tmp_path / "activations_reflection.py")
    shutil.copy(FIXTURES / "02_activations_variant.py", tmp_path / "02_activations_variant.py")
    run(tmp_path / "activations_reflection.py", tmp_path / "02_activations_variant.py", "--course", "ml-systems")
    assert list(Module.objects.order_by("number").values_list("number", "slug")) == [
        (1, "tensors"), (2, "activations-variant"), (3, "activations-reflection")]


def test_two_unnumbered_files_for_one_new_module_share_it(course, tmp_path):
    shutil.copy(SEED, tmp_path / "a.py")
    (tmp_path / "b.py").write_text(SEED.read_text().replace("systems-thinking-", "more-"))
    out, _ = run(tmp_path / "a.py", tmp_path / "b.py", "--course", "ml-systems", "--module", "shared")
    assert out.count("→ module 01 shared (new)") == 2
    assert Module.objects.get().questions.count() == 6


def test_collapsing_graded_bands_into_fewer_keeps_every_grade_on_a_band_covering_its_score(course, tmp_path):
    from courses.notebooks.importer import bands_replace
    from courses.notebooks.parse import BandDraft

    question, good_grade, grader = _graded_setup(course)
    low_grade = grade(make_response(make_user(), question), 2, grader)
    top_grade = grade(make_response(make_user(), question), 10, grader)
    bands_replace(question=question, bands=[BandDraft("PASS", 5, 10, "- ok"), BandDraft("FAIL", 0, 4, "- not")])
    assert band_ranges(question) == [("PASS", 5, 10), ("FAIL", 0, 4)]
    for graded in (good_grade, low_grade, top_grade):
        graded.refresh_from_db()
        assert graded.band.min_points <= graded.score <= graded.band.max_points
