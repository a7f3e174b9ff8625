"""The gradebook page: students × questions with totals, markers, server-side sorting and paging."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from courses.models import Question, Response, Role
from courses.services import response_submit
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user, words
from grading.models import RegradeRequest, RegradeStatus
from grading.selectors import course_overview, queue_responses
from grading.services import grade_save, grades_flag_for_review, grades_release


def _grade(response, by, score: int) -> None:
    label = next(b.label for b in response.question.bands.all() if b.min_points <= score <= b.max_points)
    band = response.question.bands.get(label=label)
    grade_save(response_id=response.pk, actor=by, band_id=band.pk, score=score, feedback="", base_version=0)


@pytest.fixture
def book(db):
    """Two modules, three questions, four students: Alice 9+7 | 5 (21), Dave 10+6 | 5 (21), Bob 3 late, Cara none."""
    course = make_course("book", title="Book")
    m1 = make_module(course, 1, slug="activations", title="Activations")
    m2 = make_module(course, 2, slug="losses", title="Losses")
    q11, q12 = make_question(m1, 1, grade_id="relu-cost"), make_question(m1, 2, grade_id="softmax")
    q21 = make_question(m2, 1, grade_id="cross-entropy")
    ta, instructor = make_user("book_ta"), make_user("book_instructor")
    enroll(ta, course, Role.TA)
    enroll(instructor, course, Role.INSTRUCTOR)
    people = {}
    for username, first, last in [("alice", "Alice", "Adams"), ("bob", "Bob", "Brown"), ("cara", "Cara", "Clark"),
                                  ("dave", "Dave", "Dunn")]:
        people[username] = make_user(username, first_name=first, last_name=last)
        enroll(people[username], course)
    r = {}
    for name, question, score in [("alice", q11, 9), ("alice", q12, 7), ("alice", q21, 5), ("dave", q11, 10),
                                  ("dave", q12, 6), ("dave", q21, 5)]:
        r[name, question.pk] = make_response(people[name], question)
        _grade(r[name, question.pk], ta, score)
    r["bob", q11.pk] = make_response(people["bob"], q11, is_late=True)
    _grade(r["bob", q11.pk], ta, 3)
    r["bob", q12.pk] = make_response(people["bob"], q12)  # submitted, not graded
    grades_release(questions=[q11], actor=instructor, released=True)
    RegradeRequest.objects.create(response=r["alice", q11.pk], reason="Please look at paragraph two.")
    RegradeRequest.objects.create(
        response=r["dave", q11.pk], reason="Again?", status=RegradeStatus.ANSWERED, reply="It stands.",
        answered_by=ta, answered_at=r["dave", q11.pk].submitted_at,
    )
    grades_flag_for_review(question=q21, actor=instructor, reason="Rubric changed.")
    return SimpleNamespace(course=course, q11=q11, q12=q12, q21=q21, ta=ta, instructor=instructor, **people)


def _get(client, book, query: str = "", user=None):
    client.force_login(user or book.instructor)
    return client.get(f"/grading/{book.course.slug}/gradebook/{query}")


def _table(response) -> dict[str, list[str]]:
    """username → the texts of the row's cells (questions and module totals, then the course total)."""
    table = {}
    for row in response.context["rows"]:
        table[row.student["username"]] = [c.text for c in row.cells] + [
            "" if row.total is None else str(row.total)
        ]
    return table


def _order(response) -> list[str]:
    return [row.student["username"] for row in response.context["rows"]]


def test_it_shows_each_students_scores_with_module_and_course_totals(client, book):
    response = _get(client, book)
    assert response.status_code == 200
    # Columns: Q1, Q2, M1 total, Q1, M2 total, course total.
    assert _table(response) == {
        "alice": ["9", "7", "16", "5", "5", "21"],
        "bob": ["3", "", "3", "", "", "3"],
        "cara": ["", "", "", "", "", ""],
        "dave": ["10", "6", "16", "5", "5", "21"],
    }
    html = response.content.decode()
    assert "M01 total (20)" in html and "Total (30)" in html


def test_it_leaves_ungraded_cells_blank_and_tells_submitted_from_missing(client, book):
    response = _get(client, book)
    bob = next(r for r in response.context["rows"] if r.student["username"] == "bob")
    q12_cell, q21_cell = bob.cells[1], bob.cells[3]
    assert (q12_cell.text, q12_cell.css) == ("", "ungraded")
    assert (q21_cell.text, q21_cell.css) == ("", "missing")


def test_it_marks_late_regrade_and_needs_review_cells(client, book):
    response = _get(client, book)
    rows = {r.student["username"]: r for r in response.context["rows"]}
    assert rows["bob"].cells[0].late and not rows["alice"].cells[0].late
    assert rows["alice"].cells[0].regrade == RegradeStatus.OPEN
    assert rows["dave"].cells[0].regrade == RegradeStatus.ANSWERED
    assert rows["alice"].cells[3].review and not rows["alice"].cells[0].review
    html = response.content.decode()
    assert html.count('title="late"') == 1
    assert html.count('title="flagged for review"') == 2
    assert html.count('class="mk regrade"') == 1 + 1  # Alice's open request, and the legend


def test_each_answered_cell_links_to_the_answers_grading_page(client, book):
    response = _get(client, book)
    rows = {r.student["username"]: r for r in response.context["rows"]}
    alice_q11 = Response.objects.get(student=book.alice, question=book.q11)
    bob_q12 = Response.objects.get(student=book.bob, question=book.q12)
    assert rows["alice"].cells[0].url == reverse("grading:grade", args=[alice_q11.pk])
    assert rows["bob"].cells[1].url == reverse("grading:grade", args=[bob_q12.pk])  # submitted, not graded
    assert rows["cara"].cells[0].url == ""  # nothing to open
    html = response.content.decode()
    assert f'<a href="{reverse("grading:grade", args=[alice_q11.pk])}">9</a>' in html
    assert f'<a href="{reverse("grading:grade", args=[bob_q12.pk])}"><span aria-hidden="true">–</span>' \
           '<span class="visually-hidden">not graded</span></a>' in html
    assert client.get(rows["alice"].cells[0].url).status_code == 200


def test_markers_carry_words_not_only_a_title(client, book):
    html = _get(client, book).content.decode()
    for letter, said in [("L", "late"), ("R", "regrade open"), ("!", "flagged for review")]:
        assert (f'<span aria-hidden="true">{letter}</span><span class="visually-hidden"> {said}</span>'
                in html), said


def test_the_gradebook_flags_what_the_overview_counts_as_flagged(client, book):
    """A grade made before a resubmission is flagged in both; so is one marked for review."""
    bob_q11 = Response.objects.get(student=book.bob, question=book.q11)
    response_submit(student=book.bob, question=book.q11, text=words(190), base_version=bob_q11.version)
    modules, _students = course_overview(book.course)
    overview = {q.pk: q.flagged for m in modules for q in m.questions}
    rows = _get(client, book).context["rows"]
    columns = {book.q11.pk: 0, book.q12.pk: 1, book.q21.pk: 3}  # cell index of each question
    marked = {qid: sum(row.cells[i].review for row in rows) for qid, i in columns.items()}
    assert marked == overview == {book.q11.pk: 1, book.q12.pk: 0, book.q21.pk: 2}
    bob = next(r for r in rows if r.student["username"] == "bob")
    assert bob.cells[0].review
    queue = queue_responses(book.q11, book.ta, "flagged")
    assert [r.student_id for r in queue] == [book.bob.pk]


def test_it_sorts_by_name_by_default_and_reverses(client, book):
    assert _order(_get(client, book)) == ["alice", "bob", "cara", "dave"]
    assert _order(_get(client, book, "?sort=-name")) == ["dave", "cara", "bob", "alice"]


def test_it_sorts_by_course_total_with_ties_by_name_and_blanks_last(client, book):
    assert _order(_get(client, book, "?sort=-total")) == ["alice", "dave", "bob", "cara"]
    assert _order(_get(client, book, "?sort=total")) == ["bob", "alice", "dave", "cara"]


def test_it_sorts_by_a_question_and_by_a_module_total(client, book):
    assert _order(_get(client, book, f"?sort=-q{book.q12.pk}")) == ["alice", "dave", "bob", "cara"]
    assert _order(_get(client, book, f"?sort=q{book.q12.pk}")) == ["dave", "alice", "bob", "cara"]
    assert _order(_get(client, book, "?sort=-m1")) == ["alice", "dave", "bob", "cara"]
    assert _order(_get(client, book, "?sort=m2")) == ["alice", "dave", "bob", "cara"]


def test_sort_links_are_plain_links_that_toggle_direction(client, book):
    html = _get(client, book, "?sort=-total").content.decode()
    total_header = re.search(r'<th[^>]*aria-sort="descending"[^>]*><a href="([^"]+)">Total', html)
    assert total_header, "the sorted column says so to assistive technology"
    # Clicking the sorted column again reverses it; the link works without JavaScript.
    assert "sort=total" in total_header.group(1).replace("&amp;", "&")
    assert f'href="?sort=q{book.q11.pk}&amp;per_page=50&amp;page=1"' in html


def test_an_unknown_sort_falls_back_to_name_with_a_message(client, book):
    response = _get(client, book, "?sort=password")
    assert _order(response) == ["alice", "bob", "cara", "dave"]
    assert "Unknown sort “password”; sorted by name instead." in response.content.decode()


def test_it_pages_through_students_and_clamps_a_page_out_of_range(client, db):
    call_command("load_scale_fixture", students=30, questions=2, course="paged", stdout=io.StringIO())
    instructor = get_user_model().objects.get(username="paged-instructor")
    client.force_login(instructor)
    first = client.get("/grading/paged/gradebook/?per_page=25")
    second = client.get("/grading/paged/gradebook/?per_page=25&page=2")
    beyond = client.get("/grading/paged/gradebook/?per_page=25&page=99")
    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 5
    assert _order(first)[0] == "paged-s00001" and _order(second)[0] == "paged-s00026"
    assert _order(beyond) == _order(second)
    assert "page 2 of 2" in second.content.decode()


def test_it_offers_the_export_downloads(client, book):
    html = _get(client, book).content.decode()
    assert f'href="/grading/{book.course.slug}/gradebook/export/?format=csv"' in html
    assert f'href="/grading/{book.course.slug}/gradebook/export/?format=canvas"' in html


def test_a_ta_of_the_course_sees_the_gradebook(client, book):
    assert _get(client, book, user=book.ta).status_code == 200


@pytest.mark.parametrize("students", [10, 100, 1000])
def test_the_gradebook_runs_the_same_queries_whatever_the_number_of_students(
    client, db, django_assert_num_queries, students
):
    slug = f"size{students}"
    call_command("load_scale_fixture", students=students, questions=8, course=slug, stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username=f"{slug}-instructor"))
    first_question = Question.objects.filter(module__course__slug=slug).order_by("pk").first()
    for sort in ("name", "-total", "m2", f"-q{first_question.pk}"):
        # 1 session, 2 user, 3 course for staff, 4 questions with modules and release state, 5 count of students,
        # 6 one page of students in the requested order, 7 their responses with grades and regrade requests,
        # 8 the course's extensions (for the E marker; one query whatever the number of students).
        with django_assert_num_queries(8):
            response = client.get(f"/grading/{slug}/gradebook/?sort={sort}&per_page=200")
        assert len(response.context["rows"]) == min(students, 200)
