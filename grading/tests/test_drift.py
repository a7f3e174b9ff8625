"""Grader drift in analytics: each grader's mean score over successive blocks of their grades."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user
from grading.analytics import drift_blocks
from grading.models import Grade

pytestmark = pytest.mark.django_db


def test_blocks_of_ten_and_a_short_last_block_joins_the_one_before():
    assert drift_blocks([8] * 10 + [6] * 10) == ([8.0, 6.0], [10, 10])
    assert drift_blocks([8] * 10 + [6] * 6) == ([8.0, 6.0], [10, 6])
    assert drift_blocks([8] * 10 + [2] * 4) == ([pytest.approx(88 / 14)], [14])
    assert drift_blocks([5, 7]) == ([6.0], [2])
    assert drift_blocks([]) == ([], [])


@pytest.fixture
def drifting(db):
    """One question: tired_ta grades 30 answers, 9s at first and 5s by the end; steady_ta 20 answers, all 7s;
    brief_ta only 8. The grades are saved out of order, so only graded_at gives the sequence."""
    course = make_course("drift", title="Drift")
    question = make_question(make_module(course, 1), 1, grade_id="relu-cost")
    instructor = make_user("drift_instructor")
    enroll(instructor, course, Role.INSTRUCTOR)
    tas = {name: make_user(name) for name in ("tired_ta", "steady_ta", "brief_ta")}
    for ta in tas.values():
        enroll(ta, course, Role.TA)
    bands = {b.label: b for b in question.bands.all()}
    start = timezone.now() - timedelta(days=1)
    plan = [("tired_ta", minute, 9 if minute < 10 else 7 if minute < 20 else 5) for minute in range(30)]
    plan += [("steady_ta", minute, 7) for minute in range(20)] + [("brief_ta", minute, 6) for minute in range(8)]
    grades = []
    for n, (name, minute, score) in enumerate(reversed(plan)):
        student = make_user(f"drift_s{n:02d}")
        enroll(student, course)
        response = make_response(student, question)
        band = next(b for b in bands.values() if b.min_points <= score <= b.max_points)
        grades.append(Grade(response=response, band=band, score=score, points=10, graded_by=tas[name],
                            graded_at=start + timedelta(minutes=minute)))
    Grade.objects.bulk_create(grades)
    return course, question, instructor


def test_each_graders_block_means_follow_grading_order(client, drifting):
    course, question, instructor = drifting
    client.force_login(instructor)
    report = client.get(f"/grading/{course.slug}/analytics/").context["report"]
    drift = report.questions[0].drift
    assert {line.username: line.means for line in drift.lines} == {"steady_ta": [7.0, 7.0],
                                                                  "tired_ta": [9.0, 7.0, 5.0]}
    # brief_ta has one block only, so no line: nothing to compare it with.


def test_the_drift_chart_is_an_svg_with_a_text_alternative_and_no_inline_style(client, drifting):
    course, _question, instructor = drifting
    client.force_login(instructor)
    html = client.get(f"/grading/{course.slug}/analytics/").content.decode()
    svg = re.search(r'<svg class="drift".*?</svg>', html, re.S).group(0)
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 5
    assert ('aria-label="Mean score per block of 10 grades, in grading order, out of 10: '
            'steady_ta: 7.0, 7.0; tired_ta: 9.0, 7.0, 5.0"') in svg
    tired = re.search(r'<polyline class="drift-\d" points="([^"]+)"><title>tired_ta', svg).group(1)
    heights = [float(point.split(",")[1]) for point in tired.split()]
    assert heights == sorted(heights) and heights[0] < heights[-1]  # lower scores sit lower: y grows downwards
    assert "9.0 (10) → 7.0 (10) → 5.0 (10)" in html
    assert "style=" not in html.split("</header>", 1)[1]


def test_no_drift_chart_without_two_blocks_of_grades(client, db):
    course = make_course("few")
    question = make_question(make_module(course, 1), 1)
    ta = make_user("few_ta")
    enroll(ta, course, Role.TA)
    band = question.bands.get(label="GOOD")
    for n in range(10):
        Grade.objects.create(response=make_response(make_user(f"few{n}"), question), band=band, score=7, points=10,
                             graded_by=ta)
    client.force_login(ta)
    response = client.get(f"/grading/{course.slug}/analytics/")
    assert response.context["report"].questions[0].drift is None
    assert 'class="drift"' not in response.content.decode()
