"""In Chromium: the instructor splits a question between two TAs, each TA's queue shows only their answers,
and the instructor releases through the confirmation page; the student's digest reaches a real SMTP server."""

from __future__ import annotations

from playwright.sync_api import expect

from courses.models import Enrollment, Role
from courses.tests.factories import make_user
from grading.models import GradeRelease, GradingAssignment
from grading.tests.helpers import grade


def test_a_split_queue_and_a_confirmed_release_with_its_digest(
    page, browser, live_server, login, world, smtp_server, run_worker, settings,
):
    settings.PERIODIC_TASKS = []
    ta2 = make_user("ta2")
    Enrollment.objects.create(user=ta2, course=world.course, role=Role.TA)

    login(page, world.instructor)
    page.goto(f"{live_server.url}/manage/{world.course.slug}/grading-team/questions/{world.question.pk}/")
    page.locator("#assign-round-robin").get_by_role("button", name="Assign round-robin").click()
    expect(page.locator(".messages")).to_contain_text("Assigned 2 answers")
    assigned = dict(GradingAssignment.objects.values_list("grader__username", "response_id"))
    assert set(assigned) == {"ta", "ta2"}

    ta_page = browser.new_context().new_page()
    login(ta_page, world.ta)
    ta_page.goto(f"{live_server.url}/grading/questions/{world.question.pk}/")
    expect(ta_page.locator(".filters [aria-current=page]")).to_have_text("Assigned to me")
    mine = world.response if assigned["ta"] == world.response.pk else world.other_response
    theirs = world.other_response if mine == world.response else world.response
    expect(ta_page.locator("tbody tr")).to_have_count(1)
    expect(ta_page.locator("tbody")).to_contain_text(mine.display_pseudonym)
    expect(ta_page.locator("tbody")).not_to_contain_text(theirs.display_pseudonym)

    grade(world.response, world.ta, score=7, label="GOOD")
    grade(world.other_response, ta2, score=9)
    page.goto(f"{live_server.url}/grading/{world.course.slug}/")
    page.get_by_role("link", name="Release…").click()
    expect(page.locator("#release-preview")).to_contain_text("not released")
    expect(page.locator(f"#preview-{world.question.pk} .graded")).to_have_text("2")
    assert not GradeRelease.objects.exists()
    page.get_by_role("button", name="Release these grades now").click()
    expect(page.locator(".messages")).to_contain_text("Released grades")
    assert GradeRelease.objects.get(question=world.question).released

    run_worker()
    received = {m["X-Envelope-To"]: m for m in smtp_server.messages}
    assert set(received) == {world.student.email, world.other_student.email}
    digest = received[world.student.email]
    assert digest["Subject"] == "Grades released in ML Systems"
    assert "Q1. Question 1" in digest.get_content() and "7" not in digest["Subject"]
