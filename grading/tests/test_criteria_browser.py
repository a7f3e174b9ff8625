"""In a real browser: an instructor authors an analytic rubric, a TA scores it by keyboard only, the instructor
releases, the student sees the points per criterion; no page breaks the Content-Security-Policy."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from grading.models import Grade
from grading.tests.test_criteria import make_criteria

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_policy(page, into: list[str]):
    """Collect Content-Security-Policy violations and script errors on `page`."""
    page.on("console", lambda message: into.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.on("pageerror", lambda error: into.append(str(error)))
    return page


def test_a_criteria_question_is_graded_by_keyboard_released_and_shown_per_criterion(
    page, browser, login, live_server, world,
):
    make_criteria(world.question)  # worth 4, 3 and 3 points
    first, second = sorted([world.response, world.other_response], key=lambda r: r.pseudonym)
    violations: list[str] = []
    watch_policy(page, violations)
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{first.pk}/")
    total = page.locator("#criteria-total")
    expect(page.locator("#id_criterion-1")).to_be_focused()
    expect(total).to_have_text("0 / 10 (NO CREDIT) · 3 to score")

    page.keyboard.press("3")
    expect(total).to_have_text("3 / 10 (NEEDS IMPROVEMENT) · 2 to score")
    page.keyboard.press("Tab")
    expect(page.locator("#id_criterion-2")).to_be_focused()
    page.keyboard.press("2")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_criterion-3")).to_be_focused()
    page.keyboard.press("9")  # above the criterion's 3 points: ignored
    expect(page.locator("#id_criterion-3")).to_have_value("")
    page.keyboard.press("2")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#id_criterion-1")).to_be_focused()
    page.keyboard.press("4")  # replaces the 3
    expect(total).to_have_text("8 / 10 (GOOD)")
    page.keyboard.press("s")
    page.wait_for_url(f"{live_server.url}/grading/responses/{second.pk}/")
    saved = Grade.objects.select_related("band").get(response=first)
    assert (saved.criterion_scores, saved.score, saved.band.label, saved.graded_by) == ([4, 2, 2], 8, "GOOD",
                                                                                         world.ta)

    staff = watch_policy(browser.new_context().new_page(), violations)
    login(staff, world.instructor)
    staff.goto(live_server.url + reverse("grading:release_question_confirm", args=[world.question.pk])
               + "?action=release")
    staff.get_by_role("button", name="Release these grades now").click()
    expect(staff.locator(".messages")).to_contain_text("Released grades")

    student = watch_policy(browser.new_context().new_page(), violations)
    owner = first.student
    login(student, owner)
    student.goto(live_server.url + first.get_absolute_url())
    table = student.locator("#criterion-scores")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(0)).to_contain_text("4 / 4")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("Compares with ReLU")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("2 / 3")
    expect(student.locator(".grade-score")).to_contain_text("8 / 10")
    assert violations == []


def test_a_criterion_worth_ten_or_more_takes_a_typed_number_and_enter_saves(page, login, live_server, world):
    from courses.models import RubricBand

    world.question.points = 20
    world.question.save(update_fields=["points"])
    RubricBand.objects.filter(question=world.question).delete()
    RubricBand.objects.bulk_create([
        RubricBand(question=world.question, position=0, label="STRONG", min_points=15, max_points=20),
        RubricBand(question=world.question, position=1, label="WEAK", min_points=0, max_points=14)])
    make_criteria(world.question, [("Depth", 12, ""), ("Clarity", 8, "")])
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{world.response.pk}/")
    page.keyboard.type("11")
    page.keyboard.press("Tab")
    page.keyboard.press("7")
    expect(page.locator("#criteria-total")).to_have_text("18 / 20 (STRONG)")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: f"/grading/responses/{world.response.pk}/" not in url)
    assert Grade.objects.get(response=world.response).criterion_scores == [11, 7]


def test_an_instructor_authors_an_analytic_rubric_on_the_manage_page(page, login, live_server, world):
    violations: list[str] = []
    watch_policy(page, violations)
    login(page, world.instructor)
    page.goto(f"{live_server.url}/manage/{world.course.slug}/questions/{world.question.pk}/")
    page.select_option("#id_rubric_kind", label="Analytic criteria")
    for i, (description, points) in enumerate([("Names the cost", "6"), ("Compares with ReLU", "3")]):
        page.fill(f"#id_criteria-{i}-position", str(i + 1))
        page.fill(f"#id_criteria-{i}-description", description)
        page.fill(f"#id_criteria-{i}-max_points", points)
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#criterion-errors")).to_contain_text(
        "The criteria add up to 9 points but the question is worth 10.")
    page.fill("#id_criteria-1-max_points", "4")
    page.get_by_role("button", name="Save question").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    world.question.refresh_from_db()
    assert world.question.uses_criteria
    assert [(c.description, c.max_points) for c in world.question.criteria.order_by("position")] == [
        ("Names the cost", 6), ("Compares with ReLU", 4)]
    assert violations == []
