"""The grade export: exact numbers, released-only, the Canvas layout, CSV injection and streaming memory."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.core.management import CommandError, call_command

from courses.models import Course, Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user
from grading.export import export_lines, neutralise
from grading.services import grade_save, grades_release


def _grade(response, by, score: int) -> None:
    band = next(b for b in response.question.bands.all() if b.min_points <= score <= b.max_points)
    grade_save(response_id=response.pk, actor=by, band_id=band.pk, score=score, feedback="", base_version=0)


@pytest.fixture
def course(db):
    """M01: relu-cost (10) released, softmax (5); M02: cross-entropy (10). Alice graded on all, Bob on one."""
    course = make_course("export", title="Export")
    m1, m2 = make_module(course, 1, slug="activations"), make_module(course, 2, slug="losses")
    small_bands = [("GOOD", 4, 5, ""), ("WEAK", 1, 3, ""), ("NONE", 0, 0, "")]
    q11 = make_question(m1, 1, grade_id="relu-cost", title="ReLU cost")
    q12 = make_question(m1, 2, grade_id="softmax", title="Softmax", points=5, bands=small_bands)
    q21 = make_question(m2, 1, grade_id="cross-entropy", title="Cross entropy")
    ta, instructor = make_user("export_ta"), make_user("export_instructor")
    enroll(ta, course, Role.TA)
    enroll(instructor, course, Role.INSTRUCTOR)
    alice = make_user("alice", first_name="Alice", last_name="Adams", email="alice@uni.edu")
    bob = make_user("bob", first_name="Bob", last_name="Brown", email="bob@uni.edu")
    enroll(alice, course)
    enroll(bob, course)
    enroll(make_user("zoe_ta"), course, Role.TA)  # staff are not rows
    for student, question, score in [(alice, q11, 9), (alice, q12, 4), (alice, q21, 6), (bob, q12, 2)]:
        _grade(make_response(student, question), ta, score)
    make_response(bob, q21)  # submitted, not graded
    grades_release(questions=[q11], actor=instructor, released=True)
    course.instructor = instructor
    return course


def _download(client, course, query: str) -> list[list[str]]:
    client.force_login(course.instructor)
    response = client.get(f"/grading/{course.slug}/gradebook/export/{query}")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_has_one_row_per_student_with_exact_scores_and_totals(client, course):
    rows = _download(client, course, "?format=csv")
    assert rows == [
        ["identifier", "name", "email", "M01 Q1 relu-cost (10)", "M01 Q2 softmax (5)", "M02 Q1 cross-entropy (10)",
         "M01 total (15)", "M02 total (10)", "Total (25)"],
        ["alice", "Alice Adams", "alice@uni.edu", "9", "4", "6", "13", "6", "19"],
        ["bob", "Bob Brown", "bob@uni.edu", "", "2", "", "2", "", "2"],
    ]


def test_released_only_leaves_unreleased_questions_blank(client, course):
    rows = _download(client, course, "?format=csv&grades=released")
    assert rows[1] == ["alice", "Alice Adams", "alice@uni.edu", "9", "", "", "9", "", "9"]
    assert rows[2] == ["bob", "Bob Brown", "bob@uni.edu", "", "", "", "", "", ""]


def test_the_canvas_file_has_canvas_columns_a_points_row_and_only_released_grades(client, course):
    rows = _download(client, course, "?format=canvas")
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "M01 Q1 ReLU cost", "M01 Q2 Softmax",
         "M02 Q1 Cross entropy"],
        ["Points Possible", "", "", "", "", "10", "5", "10"],
        ["Adams, Alice", "", "", "alice", "", "9", "", ""],
        ["Brown, Bob", "", "", "bob", "", "", "", ""],
    ]
    everything = _download(client, course, "?format=canvas&grades=all")
    assert everything[2][5:] == ["9", "4", "6"]


def test_a_canvas_column_never_looks_like_an_existing_assignment_id(client, course):
    course.modules.get(number=1).questions.filter(number=1).update(title="Cost (2024)")
    header = _download(client, course, "?format=canvas")[0]
    assert header[5] == "M01 Q1 Cost"


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(client, course):
    evil = make_user("@evil", first_name="=HYPERLINK(\"http://x\")", last_name="-2+3", email="+cmd@uni.edu")
    enroll(evil, course)
    course.modules.get(number=2).questions.update(title="=1+1")
    rows = _download(client, course, "?format=csv")
    row = next(r for r in rows if r[0].endswith("@evil"))
    assert row[:3] == ["'@evil", "'=HYPERLINK(\"http://x\") -2+3", "'+cmd@uni.edu"]
    canvas = _download(client, course, "?format=canvas&grades=all")
    assert canvas[0][7] == "M02 Q1 =1+1"  # starts with "M", harmless
    assert next(r for r in canvas if r[3].endswith("@evil"))[:4] == ["'-2+3, =HYPERLINK(\"http://x\")", "", "",
                                                                    "'@evil"]
    assert [neutralise(v) for v in ["=a", "+a", "-a", "@a", "\ta", "a=b", 7]] == [
        "'=a", "'+a", "'-a", "'@a", "'\ta", "a=b", 7]


def test_an_unknown_format_or_scope_is_refused_with_a_message(client, course):
    client.force_login(course.instructor)
    for query in ("?format=xlsx", "?grades=some"):
        response = client.get(f"/grading/{course.slug}/gradebook/export/{query}")
        assert response.status_code == 400
        assert "format must be one of csv, canvas and grades one of all, released" in response.content.decode()


def test_the_command_writes_the_same_file_as_the_download(client, course, tmp_path):
    target = tmp_path / "grades.csv"
    out = io.StringIO()
    call_command("export_grades", course="export", output=str(target), stdout=out)
    assert "Wrote 2 student rows (all grades, csv)" in out.getvalue()
    assert list(csv.reader(target.open(newline=""))) == _download(client, course, "?format=csv")
    printed = io.StringIO()
    call_command("export_grades", course="export", fmt="canvas", stdout=printed)
    assert list(csv.reader(io.StringIO(printed.getvalue()))) == _download(client, course, "?format=canvas")


def test_the_command_refuses_an_unknown_course(db):
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        call_command("export_grades", course="nope")


def _peak_bytes(course: Course, **options) -> int:
    for _ in export_lines(course, **options):  # warm caches outside the measurement
        pass
    tracemalloc.start()
    rows = sum(1 for _ in export_lines(course, **options))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rows == course.enrollments.filter(role=Role.STUDENT).count() + 1
    return peak


def test_the_export_memory_does_not_grow_with_the_number_of_students(db):
    call_command("load_scale_fixture", students=200, questions=4, course="mem-small", stdout=io.StringIO())
    call_command("load_scale_fixture", students=2000, questions=4, course="mem-large", stdout=io.StringIO())
    small, large = Course.objects.get(slug="mem-small"), Course.objects.get(slug="mem-large")
    streamed = {"student_batch": 50, "chunk_size": 100}
    small_peak, large_peak = _peak_bytes(small, **streamed), _peak_bytes(large, **streamed)
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    # The measurement can tell: holding every student at once makes the peak grow with the course.
    at_once = {"student_batch": 5000, "chunk_size": 5000}
    assert _peak_bytes(large, **at_once) > 3 * _peak_bytes(small, **at_once)
