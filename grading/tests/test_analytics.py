"""Grading analytics: band distribution, score histogram, word counts and per-grader averages."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from courses.models import Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user, words
from grading.services import grade_save


def _grade(response, by, score: int) -> None:
    band = next(b for b in response.question.bands.all() if b.min_points <= score <= b.max_points)
    grade_save(response_id=response.pk, actor=by, band_id=band.pk, score=score, feedback="", base_version=0)


@pytest.fixture
def graded(db):
    """24 answers to one question: harsh_ta gives 12 of them 4, kind_ta gives the other 12 an 8."""
    course = make_course("stats", title="Stats")
    question = make_question(make_module(course, 1), 1, grade_id="relu-cost", title="ReLU cost")
    instructor = make_user("stats_instructor")
    harsh, kind = make_user("harsh_ta"), make_user("kind_ta")
    enroll(instructor, course, Role.INSTRUCTOR)
    enroll(harsh, course, Role.TA)
    enroll(kind, course, Role.TA)
    for n in range(24):
        student = make_user(f"stats_s{n:02d}")
        enroll(student, course)
        response = make_response(student, question, words(150 if n % 2 else 250))
        _grade(response, harsh if n < 12 else kind, 4 if n < 12 else 8)
    draft_writer = make_user("stats_draft")
    enroll(draft_writer, course)
    make_response(draft_writer, question, words(1000), submitted=False)
    return course, question, instructor


def _report(client, course, user):
    client.force_login(user)
    response = client.get(f"/grading/{course.slug}/analytics/")
    assert response.status_code == 200
    return response


def test_it_counts_each_band_and_each_score(client, graded):
    course, question, instructor = graded
    report = _report(client, course, instructor).context["report"].questions[0]
    assert report.graded == 24 and report.submitted == 24
    assert [(b.label, b.count) for b in report.bands] == [
        ("EXCELLENT", 0), ("GOOD", 12), ("SATISFACTORY", 0), ("NEEDS IMPROVEMENT", 12), ("NO CREDIT", 0)]
    assert {bar.score: bar.count for bar in report.bars} == {s: (12 if s in (4, 8) else 0) for s in range(11)}
    assert report.mean == 6


def test_the_histogram_is_an_inline_svg_without_any_script(client, graded):
    course, _question, instructor = graded
    html = _report(client, course, instructor).content.decode()
    svg = re.search(r"<svg class=\"histogram\".*?</svg>", html, re.S).group(0)
    assert svg.count("<rect") == 11
    assert "<title>score 4: 12</title>" in svg and "<title>score 8: 12</title>" in svg
    assert 'aria-label="Score histogram of M01 Q1: 0: 0, 1: 0, 2: 0, 3: 0, 4: 12,' in svg
    # The tallest bars fill the chart; empty scores have no height.
    assert re.search(r'height="80(\.0)?"><title>score 4: 12', svg)
    assert re.search(r'height="0(\.0)?"><title>score 0: 0', svg)
    assert "<script" not in html.split("</header>", 1)[1]


def test_the_average_word_count_covers_submitted_answers_only(client, graded):
    course, _question, instructor = graded
    report = _report(client, course, instructor).context["report"].questions[0]
    assert report.average_words == 200  # twelve of 150 words and twelve of 250; the 1000-word draft is left out


def test_it_shows_each_graders_count_and_average_and_names_the_harsh_and_lenient_ones(client, graded):
    course, _question, instructor = graded
    response = _report(client, course, instructor)
    graders = {g.username: g for g in response.context["report"].graders}
    assert (graders["harsh_ta"].count, graders["harsh_ta"].mean_percent, graders["harsh_ta"].difference) == (
        12, 40.0, -2.0)
    assert (graders["kind_ta"].count, graders["kind_ta"].mean_percent, graders["kind_ta"].difference) == (
        12, 80.0, 2.0)
    assert graders["harsh_ta"].verdict == "harsher than the others"
    assert graders["kind_ta"].verdict == "more lenient than the others"
    html = response.content.decode()
    assert "harsh_ta: 12 graded, mean 4.00 · kind_ta: 12 graded, mean 8.00" in html
    assert "<td class=\"num\">-2.00</td>" in html and "<td class=\"num\">+2.00</td>" in html


def test_a_grader_within_a_point_of_the_others_is_not_called_out(client, db):
    call_command("load_scale_fixture", students=40, questions=4, tas=2, course="even", seed=3, stdout=io.StringIO())
    # The fixture makes its first TA about 1.5 points harsh; with two graders they sit ±0.75 from the mean.
    client.force_login(get_user_model().objects.get(username="even-instructor"))
    graders = client.get("/grading/even/analytics/").context["report"].graders
    assert [g.verdict for g in graders] == ["", ""]
    assert graders[0].difference < 0 < graders[1].difference


def test_an_empty_course_has_nothing_to_chart(client, db):
    course = make_course("empty")
    instructor = make_user("empty_instructor")
    enroll(instructor, course, Role.INSTRUCTOR)
    make_question(make_module(course, 1), 1)
    report = _report(client, course, instructor).context["report"]
    assert report.graders == [] and report.questions[0].graded == 0
    assert all(bar.height == 0 for bar in report.questions[0].bars)


@pytest.mark.parametrize("students", [10, 100])
def test_analytics_run_the_same_queries_whatever_the_number_of_students(
    client, db, django_assert_num_queries, students
):
    slug = f"stats{students}"
    call_command("load_scale_fixture", students=students, questions=8, course=slug, stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username=f"{slug}-instructor"))
    # 1 session, 2 user, 3 course for staff, 4 questions, 5 rubric bands,
    # 6 submitted answers grouped by question, band, score and grader (counts and word sums),
    # 7 grades in grading order (drift); 8 calibration attempts against their exemplars' reference scores.
    with django_assert_num_queries(8):
        response = client.get(f"/grading/{slug}/analytics/")
    assert response.context["report"].submitted == students * 8
