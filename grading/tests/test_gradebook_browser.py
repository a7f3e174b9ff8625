"""In a real browser: the instructor sorts the gradebook, changes the page size and downloads the CSV."""

from __future__ import annotations

import csv
import io

import pytest

from courses.models import Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_response, make_user
from grading.services import grade_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course(transactional_db):
    course = make_course("browser-book", title="Browser Book")
    q1 = make_question(make_module(course, 1), 1, grade_id="relu-cost")
    q2 = make_question(make_module(course, 2), 1, grade_id="softmax")
    ta, instructor = make_user("bb_ta"), make_user("bb_instructor")
    enroll(ta, course, Role.TA)
    enroll(instructor, course, Role.INSTRUCTOR)
    for username, scores in [("ann", (4, 5)), ("ben", (9, 8)), ("cat", (7, None))]:
        student = make_user(username, first_name=username.title(), last_name="Student")
        enroll(student, course)
        for question, score in zip((q1, q2), scores, strict=True):
            response = make_response(student, question)
            if score is not None:
                band = next(b for b in question.bands.all() if b.min_points <= score <= b.max_points)
                grade_save(response_id=response.pk, actor=ta, band_id=band.pk, score=score, feedback="",
                           base_version=0)
    course.instructor = instructor
    return course


def _students(page) -> list[str]:
    return page.locator("table.gradebook tbody th.student").all_inner_texts()


def test_the_instructor_sorts_the_gradebook_and_downloads_the_right_numbers(page, login, live_server, course):
    login(page, course.instructor)
    page.goto(f"{live_server.url}/grading/{course.slug}/gradebook/")
    assert [s.split()[0] for s in _students(page)] == ["Ann", "Ben", "Cat"]

    page.click("thead a:has-text('Total (20)')")
    assert [s.split()[0] for s in _students(page)] == ["Cat", "Ann", "Ben"]  # 7, 9, 17: lowest first
    page.click("thead a:has-text('Total (20)')")
    assert [s.split()[0] for s in _students(page)] == ["Ben", "Ann", "Cat"]
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Total")

    page.select_option("select[name=per_page]", "25")  # applies without a button when JS runs
    page.wait_for_url("**per_page=25**")
    assert "sort=-total" in page.url

    with page.expect_download() as info:
        page.click("text=Download CSV (all grades)")
    download = info.value
    assert download.suggested_filename == "browser-book-grades-csv.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows[0] == ["identifier", "name", "email", "M01 Q1 relu-cost (10)", "M02 Q1 softmax (10)",
                       "M01 total (10)", "M02 total (10)", "Total (20)"]
    assert rows[1:] == [
        ["ann", "Ann Student", "ann@example.edu", "4", "5", "4", "5", "9"],
        ["ben", "Ben Student", "ben@example.edu", "9", "8", "9", "8", "17"],
        ["cat", "Cat Student", "cat@example.edu", "7", "", "7", "", "7"],
    ]


def test_the_analytics_page_draws_its_charts_without_any_external_request(page, login, live_server, course):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, course.instructor)
    page.goto(f"{live_server.url}/grading/{course.slug}/analytics/")
    assert page.locator("svg.histogram").count() == 2
    assert page.locator("svg.histogram rect").first.bounding_box()["width"] > 0
    assert all(url.startswith(live_server.url) for url in requested), requested
