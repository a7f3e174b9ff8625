"""nbgrader's collected notebooks imported as submitted answers: timestamps, the late rule, history, dry runs."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import jupytext
import nbformat
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from courses.models import LatePolicy, Module, Question, Response, ResponseRevision, ResponseStatus, RevisionKind
from courses.notebooks.export import module_notebook, notebook_text
from courses.notebooks.importer import NotebookFile, notebooks_import
from courses.tests.factories import enroll, make_course, make_response, make_user, words

NOTEBOOKS = Path(__file__).parent / "notebooks"
SEED = NOTEBOOKS / "activations_reflection.py"
TINYTORCH = NOTEBOOKS / "tinytorch" / "modules" / "source"
DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(*args) -> str:
    out = StringIO()
    call_command("import_submissions", *map(str, args), stdout=out)
    return out.getvalue()


def collect(root: Path, username: str, assignment: str, notebook, at: str | None) -> Path:
    """Write one student's notebook the way nbgrader's collect step leaves it."""
    folder = root / "submitted" / username / assignment
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_text(notebook_text(notebook, "ipynb"), encoding="utf-8")
    if at is not None:
        (folder / "timestamp.txt").write_text(at, encoding="utf-8")
    return folder


@pytest.fixture
def course(db):
    course = make_course("ml-systems")
    notebooks_import(course=course, files=[NotebookFile("04_reflection.py", SEED.read_bytes())])
    Question.objects.update(due_at=DUE, late_policy=LatePolicy.ACCEPT_LATE)
    for name in ("alice", "bob", "carol"):
        enroll(make_user(name), course)
    make_user("mallory")
    return course


@pytest.fixture
def module(course) -> Module:
    return course.modules.get(slug="reflection")


def answered(module: Module, texts: dict[int, str]) -> nbformat.NotebookNode:
    questions = list(module.questions.order_by("number"))
    return module_notebook(module, answers={questions[n].pk: text for n, text in texts.items()})


def test_each_answer_becomes_a_submission_at_nbgraders_time_with_the_late_rule(course, module, tmp_path):
    collect(tmp_path, "alice", "reflection", answered(module, {0: words(200, "early"), 1: words(180, "two")}),
            "2026-03-01 10:00:00.000000 UTC")
    collect(tmp_path, "bob", "reflection", answered(module, {0: words(200, "late")}), "2026-03-02 10:30:00 UTC")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    first, second, _ = module.questions.order_by("number")
    alice = Response.objects.get(student__username="alice", question=first)
    assert alice.status == ResponseStatus.SUBMITTED and alice.submitted_text == words(200, "early")
    assert alice.submitted_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC) and not alice.is_late
    bob = Response.objects.get(student__username="bob", question=first)
    assert bob.is_late and bob.late_seconds == 90 * 60
    assert Response.objects.get(student__username="alice", question=second).submitted_text == words(180, "two")
    # The submit service kept the history: one submission revision each, at nbgrader's time.
    revision = ResponseRevision.objects.get(response=bob)
    assert (revision.kind, revision.created_at) == (RevisionKind.SUBMIT, datetime(2026, 3, 2, 10, 30, tzinfo=UTC))
    assert "bob systems-thinking-response-1: submitted (late by 5400 s)" in out
    assert "alice systems-thinking-response-3: empty" in out  # the placeholder is no answer
    assert "Imported: 3 submitted" in out and "1 late" in out


def test_after_the_import_the_answers_are_in_the_grading_queue(course, module, tmp_path, client):
    collect(tmp_path, "alice", "reflection", answered(module, {0: words(200)}), "2026-03-01 10:00:00 UTC")
    run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    ta = make_user("ta")
    enroll(ta, course, "ta")
    client.force_login(ta)
    question = module.questions.get(number=1)
    page = client.get(f"/grading/questions/{question.pk}/").content.decode()
    assert Response.objects.get(question=question).display_pseudonym in page


def test_unknown_students_and_unknown_questions_are_reported_and_skipped(course, module, tmp_path):
    notebook = answered(module, {0: words(200)})
    stray = nbformat.v4.new_markdown_cell("**Your Response:**\n" + words(200), metadata={"nbgrader": {
        "grade": True, "solution": True, "grade_id": "not-in-module", "points": 5, "locked": False,
        "schema_version": 3, "task": False}})
    notebook.cells.append(stray)
    collect(tmp_path, "alice", "reflection", notebook, "2026-03-01 10:00:00 UTC")
    collect(tmp_path, "mallory", "reflection", notebook, "2026-03-01 10:00:00 UTC")
    collect(tmp_path, "zed", "reflection", notebook, "2026-03-01 10:00:00 UTC")
    out = run(tmp_path / "submitted", "--course", "ml-systems", "--module", "reflection")
    assert "problem: mallory: not a student of this course" in out
    assert "problem: zed: unknown user" in out
    assert "problem: alice not-in-module: no question with this grade_id in the module" in out
    assert set(Response.objects.values_list("student__username", flat=True)) == {"alice"}


def test_a_dry_run_shows_the_same_and_writes_nothing(course, module, tmp_path):
    collect(tmp_path, "alice", "reflection", answered(module, {0: words(200)}), "2026-03-01 10:00:00 UTC")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection", "--dry-run")
    assert "alice systems-thinking-response-1: submitted" in out
    assert "Dry run, nothing written. Would have: 1 submitted" in out
    assert not Response.objects.exists() and not ResponseRevision.objects.exists()


def test_an_existing_answer_is_kept_unless_replace_and_its_history_stays(course, module, tmp_path):
    question = module.questions.get(number=1)
    alice = get_user_model().objects.get(username="alice")
    make_response(alice, question, words(200, "inreflect"))
    collect(tmp_path, "alice", "reflection", answered(module, {0: words(200, "nbgrader")}), "2026-03-01 10:00 UTC")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    assert "alice systems-thinking-response-1: kept" in out
    assert Response.objects.get(student=alice, question=question).submitted_text == words(200, "inreflect")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection", "--replace")
    assert "alice systems-thinking-response-1: replaced" in out
    response = Response.objects.get(student=alice, question=question)
    assert response.submitted_text == words(200, "nbgrader") and response.submission_count == 2
    assert ResponseRevision.objects.filter(response=response, kind=RevisionKind.SUBMIT).count() == 1
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection", "--replace")
    assert "alice systems-thinking-response-1: unchanged" in out


def test_a_deadline_that_refuses_late_work_refuses_the_late_notebook(course, module, tmp_path):
    Question.objects.update(late_policy=LatePolicy.REJECT)
    collect(tmp_path, "bob", "reflection", answered(module, {0: words(200)}), "2026-03-02 09:00:01 UTC")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    assert "bob systems-thinking-response-1: refused (The deadline" in out
    assert not Response.objects.exists()


def test_an_answer_outside_the_word_limits_stays_a_draft(course, module, tmp_path):
    collect(tmp_path, "carol", "reflection", answered(module, {0: words(20)}), "2026-03-01 10:00:00 UTC")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    assert "carol systems-thinking-response-1: draft (20 words, outside 150-300" in out
    response = Response.objects.get(student__username="carol")
    assert response.status == ResponseStatus.DRAFT and response.text == words(20)


def test_a_missing_or_broken_timestamp_is_reported_and_nothing_of_theirs_is_imported(course, module, tmp_path):
    collect(tmp_path, "alice", "reflection", answered(module, {0: words(200)}), None)
    collect(tmp_path, "bob", "reflection", answered(module, {0: words(200)}), "yesterday-ish")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    assert "problem: alice:" in out and "problem: bob:" in out and "submission time is unknown" in out
    assert not Response.objects.exists()


def test_tinytorch_code_cell_answers_lose_their_scaffolding_and_rubric(db, tmp_path):
    course = make_course("tinytorch")
    student = make_user("ada")
    enroll(student, course)
    files = [NotebookFile(str(path), path.read_bytes()) for path in
             (TINYTORCH / "02_tensor" / "tensor_dev.py", TINYTORCH / "03_activations" / "activations_dev.py")]
    notebooks_import(course=course, files=files)
    for slug, folder, source in (("activations", "03_activations", "activations_dev.py"),
                                 ("tensor", "02_tensor", "tensor_dev.py")):
        notebook = jupytext.reads((TINYTORCH / folder / source).read_text(), fmt="py:percent")
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and meta.get("solution") and cell.source.startswith('"""'):
                # The student writes below the given text, keeping it, as students do.
                cell.source = cell.source.replace('"""\n', f'"""\n{words(160, slug)}\n', 1) if slug == "tensor" else \
                    cell.source.replace("Consider addressing:", f"{words(160, slug)}\n\nConsider addressing:", 1)
        assignment = tmp_path / "submitted" / "ada" / folder
        assignment.mkdir(parents=True)
        (assignment / f"{source[:-3]}.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
        (assignment / "timestamp.txt").write_text("2026-03-01T10:00:00+01:00", encoding="utf-8")
        run(tmp_path, "--course", "tinytorch", "--module", slug)
    activations = Response.objects.filter(question__module__slug="activations").order_by("question__number")
    texts = [response.submitted_text for response in activations]
    assert texts[0].startswith(words(160, "activations")) and "GRADING RUBRIC" not in texts[0]
    assert "TODO" not in texts[0] and "YOUR REFLECTION" not in texts[0]
    assert activations[0].submitted_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    tensor = Response.objects.filter(question__module__slug="tensor").order_by("question__number")
    # YOUR RESPONSE HERE and the bracketed guidance they were given went; their own words stay.
    assert [r.submitted_text for r in tensor] == [words(160, "tensor")] * 2


def test_an_unknown_module_or_folder_is_a_clear_error(course, tmp_path):
    with pytest.raises(CommandError, match="No module 'nope'"):
        run(tmp_path, "--course", "ml-systems", "--module", "nope")
    with pytest.raises(CommandError, match="no such folder"):
        run(tmp_path / "missing", "--course", "ml-systems", "--module", "reflection")


def test_a_hostile_notebook_is_reported_not_raised(course, module, tmp_path):
    folder = collect(tmp_path, "alice", "reflection", answered(module, {0: words(200)}), "2026-03-01 10:00 UTC")
    (folder / "reflection.ipynb").write_text(json.dumps({"nbformat": 4, "cells": [[[[]]]] * 2}) + "\x00")
    out = run(tmp_path, "--course", "ml-systems", "--module", "reflection")
    assert "problem: alice:" in out and "binary file" in out
    assert not Response.objects.exists()
    shutil.rmtree(folder)
