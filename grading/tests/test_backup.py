"""Backing up one course and restoring it: a round trip keeps every row, and a bad archive writes nothing."""

from __future__ import annotations

import datetime
import hashlib
import json
import zipfile
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from courses.models import Course, Enrollment, Module, Response, Role
from courses.services import StaleVersion, response_save_draft, response_submit
from courses.tests.factories import enroll, make_module, make_question, make_response, make_user, words
from grading.backup import EXCLUDED, PARTS, USER_FIELDS, USERS_ENTRY, _user_fks
from grading.models import Grade, GradeEvent, GradeEventKind, GradingLease, NameReveal, RegradeRequest
from grading.services import (
    GradeConflict,
    comment_add,
    grade_save,
    grades_flag_for_review,
    grades_release,
    lease_take,
    name_reveal,
    regrade_answer,
    regrade_request_create,
)
from grading.tests.helpers import band, grade, graded_and_released

User = get_user_model()
SLUG = "ml-systems"


@pytest.fixture
def full_course(world):
    """The world's course with a row of every kind the archive holds, plus rows it must leave out."""
    course, question = world.course, world.question
    # Drafts, autosaves, a submission and a refused stale save: every kind of revision.
    second = make_question(world.module, 2, prompt="Where does Softmax spend its time?")
    response_save_draft(student=world.student, question=second, text="naïve first draft — 日本語", base_version=0)
    with pytest.raises(StaleVersion):
        response_save_draft(student=world.student, question=second, text="from another tab", base_version=0)
    response_submit(student=world.other_student, question=second, text=words(180, "softmax"), base_version=0)
    # Graded, released, a refused stale grade, a regrade that changed the score, withdrawn and released again.
    graded_and_released(world)
    with pytest.raises(GradeConflict):
        grade_save(response_id=world.response.pk, actor=world.instructor, band_id=band(question, "GOOD").pk,
                   score=8, feedback="Stale.", base_version=0)
    regrade = regrade_request_create(response=world.response, student=world.student, reason="I discussed cost.")
    current = Grade.objects.get(response=world.response)
    regrade_answer(regrade=regrade, actor=world.instructor, reply="Raised: you did.",
                   band_id=band(question, "EXCELLENT").pk, score=9, base_version=current.version)
    grades_release(questions=[question], actor=world.instructor, released=False)
    grades_release(questions=[question], actor=world.instructor, released=True)
    # A TA who graded and then left the course is still the grader of record.
    former = make_user("former_ta", first_name="Ada", last_name="Former")
    enroll(former, course, Role.TA)
    grade(world.other_response, former, score=5, label="SATISFACTORY", feedback="")
    Enrollment.objects.filter(user=former).delete()
    grades_flag_for_review(question=question, actor=world.instructor, reason="The bands changed.")
    name_reveal(response=world.other_response, actor=world.ta)
    comment_add(question=question, actor=world.ta, text="Name the **memory traffic**.")
    # A section, an extension, a notice and an assignment (the term's rows).
    from courses.models import Extension, Notice, NoticeKind, Section
    from grading.models import GradingAssignment

    lab = Section.objects.create(course=course, name="Lab A")
    Enrollment.objects.filter(user=world.student, course=course).update(section=lab, sis_id="S-001")
    Extension.objects.create(course=course, question=second, student=world.student, granted_by=world.instructor,
                             due_at=timezone.now() + datetime.timedelta(days=2), reason="Illness")
    Extension.objects.create(course=course, module=world.module, section=lab, granted_by=world.instructor,
                             due_at=None, reason="Taken back")
    Notice.objects.create(recipient=world.student, course=course, kind=NoticeKind.GRADES_RELEASED,
                          key=f"test:{world.student.pk}", subject="Grades released", body="See them.", url="/")
    GradingAssignment.objects.create(response=world.other_response, grader=world.ta, assigned_by=world.instructor)
    # An analytic rubric and a rubric version that was replaced.
    from courses.models import RubricCriterion, RubricVersion

    RubricCriterion.objects.create(question=second, position=1, description="Names the cost", max_points=4,
                                   levels="4: with figures")
    RubricCriterion.objects.create(question=second, position=2, description="Explains why", max_points=6)
    RubricVersion.objects.create(question=second, number=1, kind="bands", points=10, replaced_by=world.instructor,
                                 rubric={"bands": [{"label": "ALL", "min_points": 0, "max_points": 10}]},
                                 reason="Criteria instead of bands")
    # Double marking with a moderated disagreement, and a calibration exemplar with one attempt.
    from grading.models import CalibrationAttempt, CalibrationExemplar, DoubleMarkingPolicy, SecondMark

    DoubleMarkingPolicy.objects.create(question=question, share=100, changed_by=world.instructor)
    SecondMark.objects.create(response=world.response, grader=world.ta, band=band(question, "SATISFACTORY"), score=5,
                              points=10, feedback="Thin on cost.", moderated_by=world.instructor,
                              moderated_at=timezone.now())
    exemplar = CalibrationExemplar.objects.create(
        question=second, response=Response.objects.get(question=second, student=world.other_student),
        band=band(second, "GOOD"), score=7, chosen_by=world.instructor)
    CalibrationAttempt.objects.create(exemplar=exemplar, grader=world.ta, band=band(second, "EXCELLENT"), score=9)
    User.objects.filter(pk=world.student.pk).update(last_login=timezone.now(), is_staff=False)
    User.objects.filter(pk=world.instructor.pk).update(is_staff=True)
    # Left out: a lease, and everything of another course.
    lease_take(response=world.other_response, holder=world.ta)
    other_question = make_question(make_module(world.other_course, 1))
    enroll(world.outsider, world.other_course)
    make_response(world.outsider, other_question, text=words(150, "elsewhere"))
    return world


def _referenced_user_ids(course: Course) -> set[int]:
    ids = set()
    for part in PARTS:
        for attname in _user_fks(part.model):
            ids.update(part.rows_of(course).exclude(**{attname: None}).values_list(attname, flat=True))
    return ids


def _snapshot(slug: str = SLUG) -> dict[str, list[dict]]:
    """Every field of every row of the course, and of the people its rows name, ordered by id."""
    course = Course.objects.get(slug=slug)
    rows = {part.model._meta.label: list(part.rows_of(course).values()) for part in PARTS}
    rows["users"] = list(User.objects.filter(pk__in=_referenced_user_ids(course)).order_by("pk").values(*USER_FIELDS))
    return rows


def _export(path: Path, slug: str = SLUG) -> str:
    out = StringIO()
    call_command("export_course", course=slug, output=str(path), stdout=out)
    return out.getvalue()


def _import(path: Path) -> str:
    out = StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


def _flush() -> None:
    # PostgreSQL holds this transaction's foreign-key checks until commit, and TRUNCATE refuses to run while
    # they are pending: run them now, as Django's TestCase does at the end of a test.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    assert not Course.objects.exists() and not User.objects.exists()


def _nothing_written() -> None:
    assert not Course.objects.exists()
    assert not User.objects.exists()
    for part in PARTS:
        assert not part.model.objects.exists(), part.model


def _rewritten(source: Path, change: Callable[[dict[str, bytes]], None], *, rehash: bool = False) -> Path:
    """A copy of the archive with `change` applied to its entries; `rehash` updates the manifest to match."""
    with zipfile.ZipFile(source) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    if rehash:
        manifest = json.loads(files["manifest.json"])
        for name, entry in manifest["entries"].items():
            entry["sha256"] = hashlib.sha256(files[name]).hexdigest()
            entry["rows"] = files[name].count(b"\n")
        files["manifest.json"] = json.dumps(manifest).encode()
    target = source.with_name("edited-" + source.name)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target


def _edit_rows(label: str, edit: Callable[[dict], None]) -> Callable[[dict[str, bytes]], None]:
    def change(files: dict[str, bytes]) -> None:
        name = f"data/{label}.jsonl"
        rows = [json.loads(line) for line in files[name].splitlines()]
        for row in rows:
            edit(row)
        files[name] = b"".join(json.dumps(row).encode() + b"\n" for row in rows)

    return change


@pytest.fixture
def archive(full_course, tmp_path) -> Path:
    path = tmp_path / "ml-systems.zip"
    _export(path)
    return path


def test_every_model_of_courses_and_grading_is_backed_up_or_left_out_on_purpose():
    exported = {part.model for part in PARTS}
    for model in [*apps.get_app_config("courses").get_models(), *apps.get_app_config("grading").get_models()]:
        assert (model in exported) != (model in EXCLUDED), f"{model.__name__}: add it to PARTS or EXCLUDED"


def test_a_course_survives_export_flush_and_import_field_by_field(full_course, tmp_path):
    before = _snapshot()
    for part in PARTS:
        assert before[part.model._meta.label], f"the fixture has no {part.model.__name__} row"
    path = tmp_path / "backup.zip"
    written = _export(path)
    assert f"Wrote course '{SLUG}'" in written and "4 response," in written

    _flush()
    reported = _import(path)

    after = _snapshot()
    for key in before:
        assert after[key] == before[key], key  # ids, timestamps and every other field
    assert "5 user" in reported and "5 created, 0 matched" in reported
    assert {u["username"] for u in after["users"]} == {"student", "other_student", "ta", "instructor", "former_ta"}
    # What was left out stays out.
    assert not GradingLease.objects.exists()
    assert list(Course.objects.values_list("slug", flat=True)) == [SLUG]
    assert not User.objects.filter(username__in=["outsider", "other_ta"]).exists()


def test_after_a_restore_people_log_in_with_their_old_passwords_and_new_rows_get_fresh_ids(archive, client):
    _flush()
    _import(archive)
    restored = User.objects.get(username="student")
    assert restored.check_password("pw")
    assert not restored.is_superuser
    assert client.post("/accounts/login/", {"username": "student", "password": "pw"}).status_code == 302
    # The id sequences moved past the archived ids, so the next row doesn't collide with a restored one.
    course = Course.objects.get(slug=SLUG)
    highest = Module.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert make_module(course, 7).pk > highest


def test_people_who_already_exist_are_matched_by_username_and_left_unchanged(archive):
    _flush()
    ta = make_user("ta", email="ta@new-site.example", password="their-own")
    _import(archive)
    assert User.objects.filter(username="ta").count() == 1
    ta.refresh_from_db()
    assert ta.email == "ta@new-site.example" and ta.check_password("their-own")
    # The rows that named the archived TA now name this one.
    assert GradeEvent.objects.filter(actor=ta, kind=GradeEventKind.GRADED).exists()
    assert NameReveal.objects.filter(revealed_by=ta).exists()
    assert not User.objects.filter(email="ta@example.edu").exists()


def test_an_archive_of_an_existing_course_is_refused(archive):
    _flush()
    Course.objects.create(slug=SLUG, title="Already here")
    with pytest.raises(CommandError, match="'ml-systems' already exists"):
        _import(archive)
    assert Course.objects.count() == 1 and not User.objects.exists() and not Response.objects.exists()


def test_ids_already_taken_are_refused_and_nothing_is_written(archive, full_course):
    course_id, module_id = full_course.course.pk, full_course.module.pk
    _flush()
    Module.objects.create(pk=module_id, course=Course.objects.create(pk=course_id + 1000, slug="x", title="X"),
                          number=1, slug="m", title="M")
    with pytest.raises(CommandError, match="already has modules with ids the archive uses"):
        _import(archive)
    assert list(Course.objects.values_list("slug", flat=True)) == ["x"]
    assert not User.objects.exists() and Module.objects.count() == 1


@pytest.mark.parametrize("damage", ["not a zip", "truncated", "no manifest"])
def test_a_file_that_is_not_a_whole_archive_is_refused(archive, damage):
    data = archive.read_bytes()
    if damage == "not a zip":
        archive.write_bytes(b"PK\x03\x04 this is not really a zip" * 10)
    elif damage == "truncated":
        archive.write_bytes(data[: len(data) // 2])
    else:
        archive = _rewritten(archive, lambda files: files.pop("manifest.json"))
    _flush()
    with pytest.raises(CommandError, match="not a reflect course archive|cannot be read|damaged"):
        _import(archive)
    _nothing_written()


def test_an_edited_entry_is_refused_by_its_checksum(archive):
    edited = _rewritten(archive, _edit_rows("grading.grade", lambda row: row.update(score=10)))
    _flush()
    with pytest.raises(CommandError, match="data/grading.grade.jsonl does not match the manifest"):
        _import(edited)
    _nothing_written()


def test_an_archive_from_a_newer_format_is_refused(archive):
    def newer(files):
        manifest = json.loads(files["manifest.json"])
        manifest["format_version"] = 2
        files["manifest.json"] = json.dumps(manifest).encode()

    _flush()
    with pytest.raises(CommandError, match="format version 2, written by a newer reflect"):
        _import(_rewritten(archive, newer))
    _nothing_written()


def test_an_archive_with_fields_this_version_does_not_know_is_refused(archive):
    def extra_field(files):
        manifest = json.loads(files["manifest.json"])
        manifest["entries"]["data/courses.question.jsonl"]["fields"].append("difficulty")
        files["manifest.json"] = json.dumps(manifest).encode()

    _flush()
    with pytest.raises(CommandError, match="fields this reflect doesn't know \\(difficulty\\)"):
        _import(_rewritten(archive, extra_field))
    _nothing_written()


def test_rows_pointing_outside_the_archive_are_refused_even_with_matching_checksums(archive):
    # An edited archive must not be able to hang its rows on another course's questions.
    edited = _rewritten(archive, _edit_rows("courses.response", lambda row: row.update(question_id=987654)),
                        rehash=True)
    _flush()
    with pytest.raises(CommandError, match="question_id points outside the archive"):
        _import(edited)
    _nothing_written()


def test_a_row_the_database_refuses_late_in_the_import_rolls_back_everything(archive):
    # Grades come after people, the course, responses and revisions have been inserted.
    edited = _rewritten(archive, _edit_rows("grading.grade", lambda row: row.update(score=row["points"] + 5)),
                        rehash=True)
    _flush()
    with pytest.raises(CommandError, match="database refused a row"):
        _import(edited)
    _nothing_written()


def test_a_user_listed_twice_is_refused(archive):
    def duplicate(files):
        first = files[USERS_ENTRY].splitlines()[0]
        row = json.loads(first)
        row["id"] += 100_000
        files[USERS_ENTRY] += json.dumps(row).encode() + b"\n"

    _flush()
    with pytest.raises(CommandError, match="a user appears twice"):
        _import(_rewritten(archive, duplicate, rehash=True))
    _nothing_written()


def test_exporting_an_unknown_course_is_refused_and_writes_no_file(db, tmp_path):
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        _export(tmp_path / "nope.zip", slug="nope")
    assert not list(tmp_path.iterdir())


def test_exporting_into_a_missing_folder_is_refused_with_a_message(full_course, tmp_path):
    with pytest.raises(CommandError, match="Cannot write .*No such file or directory"):
        _export(tmp_path / "missing" / "backup.zip")


def test_the_manifest_counts_every_kind_of_row(archive, full_course):
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        revisions = opened.read("data/courses.responserevision.jsonl").decode()
    assert manifest["format"] == "reflect-course" and manifest["format_version"] == 1
    assert manifest["course"] == SLUG
    assert manifest["counts"]["courses.response"] == 4
    assert "grading.gradinglease" not in manifest["counts"]
    assert manifest["counts"]["auth.user"] == 5
    assert manifest["counts"]["grading.regraderequest"] == RegradeRequest.objects.count()
    # Text is stored as written, not escaped.
    assert "naïve first draft — 日本語" in revisions


@pytest.fixture
def copied(full_course, tmp_path) -> Path:
    """An archive of a course copied from the full course: its copied_from points outside the archive."""
    from courses.copy import course_copy

    course_copy(source=full_course.course, slug="ml-systems-2027", title="ML Systems 2027",
                actor=full_course.instructor, shift=datetime.timedelta(days=112), clear_deadlines=False)
    path = tmp_path / "ml-systems-2027.zip"
    _export(path, slug="ml-systems-2027")
    return path


def test_a_copied_course_is_exported_without_its_link_and_imports_into_an_empty_database(copied):
    before = _snapshot("ml-systems-2027")
    assert before["courses.Course"][0]["copied_from_id"] is not None
    assert before["grading.Comment"] and before["courses.RubricBand"]
    with zipfile.ZipFile(copied) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        row = json.loads(opened.read("data/courses.course.jsonl"))
    assert manifest["copied_from"] == SLUG and row["copied_from_id"] is None

    _flush()
    _import(copied)

    after = _snapshot("ml-systems-2027")
    before["courses.Course"][0]["copied_from_id"] = None  # the earlier term isn't here to point at
    for key in before:
        assert after[key] == before[key], key
    assert list(Course.objects.values_list("slug", "copied_from")) == [("ml-systems-2027", None)]


def test_an_imported_copy_is_linked_to_its_earlier_term_when_that_course_is_there(copied, full_course):
    Course.objects.filter(slug="ml-systems-2027").delete()
    _import(copied)
    assert Course.objects.get(slug="ml-systems-2027").copied_from == full_course.course


def test_an_archive_whose_course_row_names_an_earlier_term_by_id_imports_unlinked(copied):
    # Archives written before the link was left out carry the source's id from their own database.
    edited = _rewritten(copied, _edit_rows("courses.course", lambda row: row.update(copied_from_id=987654)),
                        rehash=True)
    _flush()
    _import(edited)
    assert Course.objects.get(slug="ml-systems-2027").copied_from is None


def test_a_manifest_whose_copied_from_is_not_a_slug_is_refused(copied):
    def odd(files):
        manifest = json.loads(files["manifest.json"])
        manifest["copied_from"] = {"id": 1}
        files["manifest.json"] = json.dumps(manifest).encode()

    _flush()
    with pytest.raises(CommandError, match="copied_from that is not a course's slug"):
        _import(_rewritten(copied, odd))
    _nothing_written()
