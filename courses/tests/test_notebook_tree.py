"""Importing a TinyTorch course as it lies: numbered module folders with module.yaml, every real cell style,
modules without reflections, autograder cells, in one command; and the web preview agreeing with it."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.models import Module, Question, RubricKind
from courses.notebooks.importer import NotebookFile, module_for_file, notebooks_import
from courses.notebooks.parse import parse_notebook
from courses.tests.factories import make_course, make_response, make_user
from grading.models import Grade

TREE = Path(__file__).parent / "notebooks" / "tinytorch"
SOURCE = TREE / "modules" / "source"
FIVE_BANDS = [("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
              ("NO CREDIT", 0, 0)]


def run(*args) -> str:
    out = StringIO()
    call_command("import_notebook", *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def band_ranges(question: Question) -> list[tuple[str, int, int]]:
    return [(b.label, b.min_points, b.max_points) for b in question.bands.order_by("position")]


def criteria(question: Question) -> list[tuple[str, int]]:
    return [(c.description, c.max_points) for c in question.criteria.order_by("position")]


@pytest.fixture
def course(db):
    return make_course("tinytorch")


@pytest.fixture
def tree(tmp_path) -> Path:
    """The fixture tree plus what a working copy also holds: checkpoints, caches, hidden folders, a paired .ipynb."""
    root = tmp_path / "TinyTorch"
    shutil.copytree(TREE, root)
    # A module in the seed's own style, with no module.yaml: the seed notebook itself.
    reflection = root / "modules" / "source" / "04_reflection"
    reflection.mkdir()
    shutil.copy(TREE.parent / "activations_reflection.py", reflection / "reflection_dev.py")
    activations = root / "modules" / "source" / "03_activations"
    for junk in (activations / ".ipynb_checkpoints" / "activations_dev-checkpoint.py",
                 activations / "__pycache__" / "activations_dev.py", root / ".git" / "old_dev.py"):
        junk.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(activations / "activations_dev.py", junk)
    (root / "modules" / "source" / "05_planned").mkdir()
    (root / "modules" / "source" / "05_planned" / "module.yaml").write_text("title: Not written yet\n")
    # nbgrader's students' copies beside source/ are not the course's questions.
    student_copy = root / "modules" / "submitted" / "ada" / "03_activations" / "activations_dev.py"
    student_copy.parent.mkdir(parents=True)
    shutil.copy(activations / "activations_dev.py", student_copy)
    # jupytext's paired notebook of the same source: the .py is taken, the .ipynb left out.
    shutil.copy(reflection / "reflection_dev.py", root / "modules" / "source" / "04_reflection" /
                "reflection_dev.ipynb")
    return root


def test_the_whole_tree_imports_in_one_command_with_numbers_slugs_and_titles_from_the_folders(course, tree):
    out = run(tree, "--course", "tinytorch")
    modules = list(Module.objects.filter(course=course).order_by("number"))
    assert [(m.number, m.slug, m.title) for m in modules] == [
        (2, "tensor", "Tensor: The Core Data Structure"), (3, "activations", "Activations"),
        (4, "reflection", "Reflection")]
    assert all(not m.is_published for m in modules)
    assert "01_setup/setup_dev.py: skipped, no graded reflection cells" in out
    assert out.count("setup_dev.py") == 1  # one line says it was skipped
    assert "reflection_dev.ipynb: skipped, paired with reflection_dev.py" in out
    assert "setup_helpers" not in out and "checkpoint" not in out and "__pycache__" not in out
    assert "modules/submitted: skipped, nbgrader's submitted/ folder" in out
    assert "05_planned: skipped, a module folder without notebooks" in out
    assert "Imported 3 file(s): 7 created" in out
    # Autograder tests (grade + locked), implementation exercises (solution code without a docstring) and
    # the ungraded solution cells are not questions.
    assert set(Question.objects.values_list("grade_id", flat=True)) == {
        "ml_systems_q1", "ml_systems_q2", "question-1-computational-efficiency", "question-2-hardware-optimization",
        "systems-thinking-response-1", "systems-thinking-response-2", "systems-thinking-response-3"}


def test_the_bracketed_your_response_here_style_gives_guidance_titles_and_word_limits(course, tree):
    run(tree, "--course", "tinytorch")
    tensor = Module.objects.get(course=course, slug="tensor")
    first, second = tensor.questions.order_by("number")
    # The title is the question's own heading, not the section's "Part 10" heading above it.
    assert (first.title, second.title) == ("Reflect on Memory Layout", "Understand Device Placement")
    assert first.prompt.startswith("How does contiguous memory layout affect the speed")
    assert first.context.startswith("Your tensor stores its data in one contiguous NumPy array.")
    assert first.guidance == (
        "Write a 150-300 word analysis of memory layout. Consider:\n"
        "- Why contiguous arrays are faster for element-wise operations\n- What a strided view costs\n"
        "- How cache lines shape performance")
    assert "YOUR RESPONSE HERE" not in first.guidance
    assert (first.min_words, first.max_words, second.min_words, second.max_words) == (150, 300, 100, 200)
    assert first.rubric_kind == RubricKind.BANDS and band_ranges(first) == FIVE_BANDS
    assert tensor.reflection_intro == "## Part 10: ML Systems Thinking - Interactive Questions"
    assert tensor.reflection_summary == "## Part 11: Module Summary\n\nYou built the Tensor every later module uses."


def test_the_todo_consider_addressing_style_gives_guidance_criteria_and_bonus_notes(course, tree):
    run(tree, "--course", "tinytorch")
    activations = Module.objects.get(course=course, slug="activations")
    first, second = activations.questions.order_by("number")
    assert first.title == "Computational Efficiency and Numerical Stability"
    assert first.guidance == (
        "Consider addressing:\n"
        "- How would you optimize activation functions for both efficiency and numerical stability?\n"
        "- How would you implement numerically stable Softmax for large vocabulary models?\n\n"
        "Write a technical analysis connecting your activation implementations to real production optimization "
        "challenges.")
    assert "TODO" not in first.guidance and "YOUR REFLECTION" not in first.guidance
    assert "GRADING RUBRIC" not in first.guidance and "(3 points)" not in first.guidance
    assert first.rubric_kind == RubricKind.CRITERIA
    assert criteria(first) == [
        ("Demonstrates understanding of efficiency vs stability trade-offs", 3),
        ("Addresses numerical stability concerns in large-scale systems", 3),
        ("Shows practical knowledge of optimization strategies", 2),
        ("Demonstrates systems thinking about activation function design", 2)]
    assert first.rubric_notes == ("- Clear technical reasoning and practical considerations (bonus points for "
                                  "innovative approaches)")
    # A criteria question still has the standard bands, scaled to its points.
    assert band_ranges(first) == FIVE_BANDS
    assert (second.points, [points for _, points in criteria(second)]) == (8, [3, 3, 2])
    assert band_ranges(second) == [("EXCELLENT", 8, 8), ("GOOD", 6, 7), ("SATISFACTORY", 4, 5),
                                   ("NEEDS IMPROVEMENT", 1, 3), ("NO CREDIT", 0, 0)]
    assert activations.reflection_intro.startswith("## 🤔 ML Systems Thinking: Interactive Questions\n\nNow that")
    assert activations.reflection_summary.startswith("## 🎯 MODULE SUMMARY: Activation Functions")


def test_the_seed_style_in_the_tree_keeps_its_intro_and_closing_insight(course, tree):
    run(tree, "--course", "tinytorch")
    reflection = Module.objects.get(course=course, slug="reflection")
    assert reflection.reflection_intro.startswith("## 🤔 ML Systems Thinking: Interactive Reflection")
    assert "**Instructions:**\n- Provide thoughtful 150-300 word responses" in reflection.reflection_intro
    assert reflection.reflection_summary.startswith("**💡 Systems Insight**: The activation functions")
    assert 'print("' not in reflection.reflection_summary
    assert [band_ranges(q) for q in reflection.questions.all()] == [FIVE_BANDS] * 3


def test_importing_the_tree_again_changes_nothing(course, tree):
    run(tree, "--course", "tinytorch")
    out = run(tree, "--course", "tinytorch")
    assert "0 created, 0 updated, 7 unchanged, 0 deleted" in out
    assert "to set" not in out


@pytest.mark.parametrize("name, expected", [
    ("modules/source/03_activations/activations_dev.py", (3, "activations")),
    ("source/10_training_loop/train.ipynb", (10, "training-loop")),
    ("modules/source/activations/02_activations_dev.py", (2, "activations-dev")),
    ("notes/activations_dev.py", (None, "activations-dev")),
])
def test_a_numbered_folder_names_the_module_before_the_file_does(name, expected):
    assert module_for_file(name) == expected


def test_two_folders_claiming_one_number_are_refused_naming_both(course, tree):
    source = tree / "modules" / "source"
    shutil.copytree(source / "02_tensor", source / "02_tensors_again")
    with pytest.raises(CommandError, match="nothing was written"):
        run(tree, "--course", "tinytorch")
    assert not Module.objects.filter(course=course).exists()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_notebook", str(tree), "--course", "tinytorch", stdout=StringIO(), stderr=err)
    assert ("module number 2 is claimed by both " + str(source / "02_tensor" / "tensor_dev.py") + " ('tensor') and "
            + str(source / "02_tensors_again" / "tensor_dev.py") + " ('tensors-again')") in err.getvalue()


def test_a_skipped_folder_claims_no_number(course, tree):
    source = tree / "modules" / "source"
    shutil.copytree(source / "01_setup", source / "02_setup_again")  # no reflections: it cannot clash with 02_tensor
    out = run(tree, "--course", "tinytorch")
    assert "02_setup_again/setup_dev.py: skipped" in out
    assert Module.objects.get(course=course, number=2).slug == "tensor"


def test_a_real_error_in_one_module_still_refuses_the_whole_tree(course, tree):
    bad = tree / "modules" / "source" / "03_activations" / "activations_dev.py"
    bad.write_text(bad.read_text().replace('"points": 8', '"points": 9'))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_notebook", str(tree), "--course", "tinytorch", stdout=StringIO(), stderr=err)
    assert "grade_id 'question-2-hardware-optimization': rubric criteria: The criteria add up to 8 points but the " \
           "question is worth 9." in err.getvalue()
    assert not Module.objects.filter(course=course).exists()


def test_a_folder_with_no_reflections_at_all_is_an_error_not_a_silent_success(course, tree):
    with pytest.raises(CommandError, match="nothing was written"):
        run(tree / "modules" / "source" / "01_setup", "--course", "tinytorch")
    empty = tree / "empty"
    empty.mkdir()
    with pytest.raises(CommandError, match="No notebooks"):
        run(empty, "--course", "tinytorch")


def test_a_hostile_module_yaml_gives_no_title_and_breaks_nothing(course, tree):
    yaml_path = tree / "modules" / "source" / "02_tensor" / "module.yaml"
    yaml_path.write_text("title: !!python/object/apply:os.system ['echo hacked']\n")
    run(tree, "--course", "tinytorch")
    # yaml's safe loader refuses the tag; the title falls back to the notebook's first heading.
    assert Module.objects.get(course=course, slug="tensor").title == "Tensor - Core Data Structure"


def test_the_web_preview_agrees_with_the_command(client, world, tree):
    client.force_login(world.instructor)
    files = sorted((tree / "modules" / "source").glob("0*/*_dev.py"))
    uploads = [SimpleUploadedFile(f"{path.parent.name}.py", path.read_bytes()) for path in files]
    response = client.post(reverse("authoring:import", args=[world.course.slug]), {"files": uploads})
    page = response.content.decode()
    assert "Skipped: no graded reflection cells" in page
    plan = notebooks_import(course=world.course, files=[NotebookFile(f"{p.parent.name}.py", p.read_bytes())
                                                        for p in files], dry_run=True)
    created = [change.draft.grade_id for report in plan.files for change in report.creates]
    assert page.count("to create</span>") == len(created) == 7
    for grade_id in created:
        assert f"<code>{grade_id}</code>" in page
    for path in files:
        parsed = parse_notebook(path.name, path.read_bytes())
        assert [q.guidance for q in parsed.questions] == [
            change.draft.guidance for report in plan.files if report.name == f"{path.parent.name}.py"
            for change in report.changes]


def test_changing_the_criteria_of_a_graded_question_needs_force_and_guidance_alone_does_not(course, tree):
    run(tree, "--course", "tinytorch")
    question = Question.objects.get(grade_id="question-1-computational-efficiency")
    response = make_response(make_user("ada"), question)
    Grade.objects.create(response=response, band=question.bands.get(label="GOOD"), score=8, points=10,
                         graded_by=make_user("grader"), criterion_scores=[3, 2, 2, 1])
    source = tree / "modules" / "source" / "03_activations" / "activations_dev.py"
    text = source.read_text()
    source.write_text(text.replace("How would you implement numerically stable Softmax", "How would you stabilise"))
    out = run(tree, "--course", "tinytorch")
    assert "1 updated" in out
    question.refresh_from_db()
    assert "How would you stabilise" in question.guidance
    source.write_text(source.read_text().replace("trade-offs (3 points)", "trade-offs (4 points)").replace(
        "strategies (2 points)", "strategies (1 points)"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_notebook", str(tree), "--course", "tinytorch", stdout=StringIO(), stderr=err)
    assert "changes the criteria of a question that already has grades" in err.getvalue()
    assert [c.max_points for c in question.criteria.order_by("position")] == [3, 3, 2, 2]
    grader = make_user("instructor")
    run(tree, "--course", "tinytorch", "--force", "--actor", grader.username)
    assert [c.max_points for c in question.criteria.order_by("position")] == [4, 3, 1, 2]
    assert Grade.objects.get(response=response).needs_review


def test_the_preview_of_only_files_without_reflections_is_refused_with_the_reason(client, world):
    client.force_login(world.instructor)
    setup = SOURCE / "01_setup" / "setup_dev.py"
    response = client.post(reverse("authoring:import", args=[world.course.slug]),
                           {"files": [SimpleUploadedFile("01_setup.py", setup.read_bytes())]})
    page = response.content.decode()
    assert response.status_code == 400 and "Import refused: nothing was written" in page
    assert "no reflection questions found" in page
