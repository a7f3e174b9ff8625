"""The whole loop on the demo course, in Chromium: grade by keyboard, conflict, release, regrade, export."""

import csv

import pytest
from playwright.sync_api import expect

from courses.models import Question, Response
from grading.models import Grade, RegradeRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "reflect-demo"


def test_a_ta_grades_the_instructor_releases_the_student_asks_and_the_export_adds_up(browser, live_server, login, demo):
    q1 = Question.objects.get(module__course__slug="tinytorch", module__slug="activations", number=1)
    first, second = Response.objects.filter(question=q1, status="submitted").order_by("pseudonym")

    # ta1 grades both answers to Q1 from the keyboard: band key, then save-and-next.
    ta1 = browser.new_context().new_page()
    login(ta1, demo["ta1"], PASSWORD)
    ta1.goto(f"{live_server.url}/grading/responses/{first.pk}/")
    expect(ta1.locator("#answer")).to_contain_text(first.submitted_text[:40])
    ta1.keyboard.press("f")
    ta1.keyboard.type("Clear on memory bandwidth; say more about fusion.")
    ta1.keyboard.press("Escape")
    ta1.keyboard.press("2")
    ta1.keyboard.press("s")
    ta1.wait_for_url(f"**/grading/responses/{second.pk}/")
    ta1.keyboard.press("1")
    ta1.keyboard.press("Enter")
    ta1.wait_for_url(lambda url: f"/responses/{second.pk}/" not in url)
    grades = {g.response_id: g for g in Grade.objects.filter(response__question=q1)}
    assert (grades[first.pk].score, grades[first.pk].band.label) == (8, "GOOD")
    assert (grades[second.pk].score, grades[second.pk].band.label) == (10, "EXCELLENT")

    # ta2 opens the first answer, ta1 changes it meanwhile: ta2's save is refused with both grades shown.
    ta2 = browser.new_context().new_page()
    login(ta2, demo["ta2"], PASSWORD)
    ta2.goto(f"{live_server.url}/grading/responses/{first.pk}/")
    ta1.goto(f"{live_server.url}/grading/responses/{first.pk}/")
    ta1.keyboard.press("3")
    ta1.keyboard.press("s")
    ta1.wait_for_url(lambda url: f"/responses/{first.pk}/" not in url)
    ta2.keyboard.press("4")
    ta2.keyboard.press("s")
    expect(ta2.locator("main")).to_contain_text("SATISFACTORY")
    expect(ta2.locator("main")).to_contain_text("NEEDS IMPROVEMENT")
    expect(ta2.get_by_role("button", name="Apply mine instead")).to_be_visible()
    assert Grade.objects.get(response=first).score == 6

    # The instructor releases the Activations module through its confirmation page.
    teacher = browser.new_context(accept_downloads=True).new_page()
    login(teacher, demo["instructor"], PASSWORD)
    teacher.goto(f"{live_server.url}/grading/tinytorch/")
    teacher.locator("a[href$='/modules/activations/release/confirm/?action=release']").click()
    expect(teacher.locator("#release-preview")).to_be_visible()
    teacher.get_by_role("button", name="Release these grades now").click()
    expect(teacher.locator("main")).to_contain_text("released")

    # The student sees score, band and feedback, and asks for a regrade.
    student = browser.new_context().new_page()
    login(student, first.student, PASSWORD)
    student.goto(f"{live_server.url}/responses/{first.pk}/")
    expect(student.locator("#grade")).to_contain_text("6 / 10")
    expect(student.locator("#grade")).to_contain_text("SATISFACTORY")
    expect(student.locator("#grade .feedback")).to_contain_text("say more about fusion")
    expect(student.locator("body")).not_to_contain_text("GRADING CRITERIA")
    student.locator("#grade summary").click()
    student.fill("#id_regrade_reason", "I discussed kernel fusion in the second paragraph.")
    student.get_by_role("button", name="Send regrade request").click()
    expect(student.locator("#grade")).to_contain_text("awaiting reply")
    assert RegradeRequest.objects.get(response=first).status == "open"

    # The gradebook's CSV has the right numbers.
    teacher.goto(f"{live_server.url}/grading/tinytorch/gradebook/")
    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Download CSV (all grades)").click()
    rows = list(csv.DictReader(open(download.value.path(), encoding="utf-8-sig")))
    by_user = {row["identifier"]: row for row in rows}
    column = f"M02 Q1 {q1.grade_id} (10)"
    assert by_user[first.student.username][column] == "6"
    assert by_user[second.student.username][column] == "10"
    assert by_user["student1"][column] == ""
    module_total = next(name for name in rows[0] if name.startswith("M02 total"))
    assert by_user[second.student.username][module_total] == "10"
