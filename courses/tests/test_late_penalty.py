"""Late penalties: a percentage off per started day late, up to a cap, against the student's own deadline.

The raw score and the penalty are both kept (the penalty is derived from `Response.late_seconds` and the
question's policy when read, never stored) and both shown to the student once grades are released; the
gradebook and the exports use the penalised score, and the CSV's column names say so.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.extensions import extension_grant
from courses.models import LatePolicy, Response
from courses.services import response_submit
from courses.tests.factories import make_user, words
from grading.export import export_lines
from grading.tests.helpers import grade, release

DUE = timezone.now().replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def penalty(world):
    """Q1 takes 10 % a day off, at most 30 %; it was due three days ago."""
    q = world.question
    q.late_policy, q.late_penalty_per_day, q.late_penalty_cap, q.due_at = LatePolicy.PENALTY, 10, 30, DUE
    q.save()
    return world


def _late(response: Response, seconds: int | None) -> None:
    Response.objects.filter(pk=response.pk).update(late_seconds=seconds, is_late=seconds is not None)


def test_submitting_late_stores_how_late_against_the_students_deadline(penalty):
    outcome = response_submit(student=penalty.student, question=penalty.question, text=words(170), base_version=1,
                              now=DUE + timedelta(days=1, hours=2))
    assert (outcome.response.is_late, outcome.response.late_seconds) == (True, 26 * 3600)
    on_time = response_submit(student=penalty.other_student, question=penalty.question, text=words(170),
                              base_version=1, now=DUE - timedelta(minutes=1))
    assert (on_time.response.is_late, on_time.response.late_seconds) == (False, None)


def test_the_student_sees_raw_score_and_penalty_only_after_release(client, penalty):
    _late(penalty.response, 26 * 3600)  # two started days: 20 %
    grade(penalty.response, penalty.ta, score=7, label="GOOD")
    client.force_login(penalty.student)
    url = reverse("courses:response", args=[penalty.response.pk])
    before = client.get(url).content.decode()
    assert "late (" not in before and "5.60" not in before and "awaiting grading" in before
    release(penalty.question, penalty.instructor)
    after = " ".join(client.get(url).content.decode().split())
    assert "<strong>7 / 10</strong><span id=\"late-penalty\">, −20 % late (2 days): <strong>5.60 / 10</strong>" in after
    assert "before the late penalty is 7" in after


def test_the_penalty_stops_at_the_cap(client, penalty):
    _late(penalty.response, 20 * 86_400)
    grade(penalty.response, penalty.ta, score=10)
    release(penalty.question, penalty.instructor)
    client.force_login(penalty.student)
    page = client.get(reverse("courses:response", args=[penalty.response.pk])).content.decode()
    assert "−30 % late (20 days): <strong>7 / 10</strong>" in page


def test_an_answer_on_time_or_under_another_policy_shows_no_penalty(client, penalty):
    _late(penalty.response, 3600)
    penalty.question.late_policy = LatePolicy.ACCEPT_LATE
    penalty.question.save()
    grade(penalty.response, penalty.ta, score=7, label="GOOD")
    release(penalty.question, penalty.instructor)
    client.force_login(penalty.student)
    page = client.get(reverse("courses:response", args=[penalty.response.pk])).content.decode()
    assert "late-penalty" not in page and "7 / 10" in page


def test_an_extension_granted_after_grading_lifts_the_penalty(client, penalty):
    _late(penalty.response, 26 * 3600)
    Response.objects.filter(pk=penalty.response.pk).update(submitted_at=DUE + timedelta(hours=26))
    grade(penalty.response, penalty.ta, score=7, label="GOOD")
    release(penalty.question, penalty.instructor)
    extension_grant(course=penalty.course, granted_by=penalty.instructor, due_at=DUE + timedelta(days=2),
                    reason="Doctor's note", student=penalty.student, question=penalty.question)
    client.force_login(penalty.student)
    page = client.get(reverse("courses:response", args=[penalty.response.pk])).content.decode()
    assert "late-penalty" not in page
    assert Response.objects.get(pk=penalty.response.pk).late_seconds is None


def _gradebook(client, world, query: str = ""):
    client.force_login(world.instructor)
    return client.get(f"/grading/{world.course.slug}/gradebook/{query}")


def test_the_gradebook_shows_and_sorts_by_the_penalised_score_and_marks_extended_cells(client, penalty):
    _late(penalty.response, 26 * 3600)
    grade(penalty.response, penalty.ta, score=7, label="GOOD")  # 5.60 after the penalty
    grade(penalty.other_response, penalty.ta, score=6, label="SATISFACTORY")  # on time: 6
    extension_grant(course=penalty.course, granted_by=penalty.instructor, due_at=DUE + timedelta(days=9),
                    reason="r", student=penalty.other_student, question=penalty.question)
    page = _gradebook(client, penalty, f"?sort=-q{penalty.question.pk}")
    rows = page.context["rows"]
    assert [r.student["username"] for r in rows] == ["other_student", "student"]
    mine = rows[1]
    assert mine.cells[0].text == "5.60" and "7 before" in mine.cells[0].title and mine.total_display == "5.60"
    assert rows[0].cells[0].extended and not mine.cells[0].extended
    html = page.content.decode()
    marker = '<span aria-hidden="true">E</span><span class="visually-hidden"> extended deadline'
    assert f'title="extended deadline">{marker}' in html and "after any late penalty" in html
    by_total = _gradebook(client, penalty, "?sort=-total").context["rows"]
    assert [r.student["username"] for r in by_total] == ["other_student", "student"]


def test_a_section_extension_marks_its_students_cells(client, penalty):
    from courses.models import Enrollment, Section

    lab = Section.objects.create(course=penalty.course, name="Lab A")
    Enrollment.objects.filter(user=penalty.student, course=penalty.course).update(section=lab)
    extension_grant(course=penalty.course, granted_by=penalty.instructor, due_at=DUE + timedelta(days=9),
                    reason="r", section=lab, module=penalty.module)
    rows = {r.student["username"]: r for r in _gradebook(client, penalty).context["rows"]}
    assert rows["student"].cells[0].extended and not rows["other_student"].cells[0].extended


def _csv(course, **options) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(export_lines(course, **options)))))


def test_the_csv_and_canvas_exports_use_the_penalised_score_and_the_csv_says_so(penalty):
    _late(penalty.response, 26 * 3600)
    grade(penalty.response, penalty.ta, score=7, label="GOOD")
    grade(penalty.other_response, penalty.ta, score=6, label="SATISFACTORY")
    release(penalty.question, penalty.instructor)
    rows = _csv(penalty.course)
    assert rows[0][3:] == ["M01 Q1 q1 (10) after late penalty", "M01 total (10) after late penalty",
                           "Total (10) after late penalty"]
    assert {r[0]: r[3:] for r in rows[1:]} == {"student": ["5.60", "5.60", "5.60"], "other_student": ["6", "6", "6"]}
    canvas = _csv(penalty.course, fmt="canvas")
    assert {r[3]: r[5] for r in canvas[2:]} == {"student": "5.60", "other_student": "6"}


def test_without_penalty_questions_the_csv_headers_are_unchanged(world):
    grade(world.response, world.ta, score=7, label="GOOD")
    assert _csv(world.course)[0][3:] == ["M01 Q1 q1 (10)", "M01 total (10)", "Total (10)"]


@pytest.mark.parametrize("students", [10, 200])
def test_penalties_and_extensions_keep_the_gradebooks_query_count(client, penalty, django_assert_num_queries,
                                                                  students):
    from courses.models import Enrollment

    for n in range(students):
        student = make_user(f"p{students}-{n}")
        Enrollment.objects.create(user=student, course=penalty.course)
        Response.objects.create(student=student, question=penalty.question, status="submitted", text="x",
                                submitted_text="x", submitted_at=DUE, late_seconds=n * 3600 or None)
    extension_grant(course=penalty.course, granted_by=penalty.instructor, due_at=DUE + timedelta(days=9),
                    reason="r", student=penalty.student, question=penalty.question)
    client.force_login(penalty.instructor)
    for sort in ("name", f"-q{penalty.question.pk}", "-total"):
        # session, user, course for staff, layout, count, a page of students, their responses, the extensions
        with django_assert_num_queries(8):
            assert client.get(f"/grading/{penalty.course.slug}/gradebook/?sort={sort}&per_page=200").status_code == 200
