"""In a real browser: the instructor edits a draft question's bands and deadline, publishes its module,
and the student then sees the module and the question with its deadline."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from courses.models import Module, Question
from courses.tests.factories import make_module, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_instructor_edits_a_question_publishes_its_module_and_the_student_sees_it(
        page, browser, login, live_server, world):
    world.course.time_zone = "Europe/Paris"
    world.course.save()
    module = make_module(world.course, 2, slug="losses", title="Losses", is_published=False)
    question = make_question(module, 1, title="Cross-entropy")

    login(page, world.instructor)
    page.click("a:has-text('Manage')")
    expect(page.locator("h1")).to_have_text("Course settings")
    page.click("nav.manage-nav a:has-text('Modules')")
    page.click("a:has-text('Losses')")
    page.click("a:has-text('Q1. Cross-entropy')")

    # The text previews as students will see it, while typing.
    page.fill("textarea[name=prompt]", "Why is **cross-entropy** stable? <img src=x onerror=alert(1)>")
    preview = page.locator("[data-preview-for=prompt]")
    expect(preview.locator("strong")).to_have_text("cross-entropy")
    assert "onerror" not in preview.inner_html()

    # GOOD takes 6, SATISFACTORY keeps only 5; the deadline is typed in Paris time.
    page.fill("input[name='bands-1-min_points']", "6")
    page.fill("input[name='bands-2-max_points']", "5")
    page.fill("input[name='due_at']", "2030-06-01T18:30")
    page.click("button:has-text('Save question')")
    expect(page.locator(".message.success")).to_have_text("Q1 “Cross-entropy” saved.")
    question.refresh_from_db()
    assert question.due_at == datetime(2030, 6, 1, 16, 30, tzinfo=UTC)
    assert [(b.label, b.min_points, b.max_points) for b in question.bands.all()][1:3] == [
        ("GOOD", 6, 8), ("SATISFACTORY", 5, 5)]

    # A rubric that leaves a gap is refused in the page, with the rule's own words.
    page.fill("input[name='bands-1-min_points']", "7")
    page.click("button:has-text('Save question')")
    expect(page.locator("#band-errors")).to_contain_text("No band covers 6 points.")

    page.click("nav.manage-nav a:has-text('Modules')")
    row = page.locator("tr[data-module='losses']")
    expect(row.locator(".badge")).to_have_text("Draft")
    row.locator("button:has-text('Publish')").click()
    expect(page.locator(".message.success")).to_contain_text("“Losses” is published: students see it now.")
    expect(page.locator("tr[data-module='losses'] .badge")).to_have_text("Published")
    assert Module.objects.get(pk=module.pk).is_published

    student_context = browser.new_context()
    student = student_context.new_page()
    try:
        login(student, world.student)
        student.goto(f"{live_server.url}/courses/{world.course.slug}/")
        student.click("a:has-text('02. Losses')")
        deadline = student.locator(f"tr[data-question='{question.pk}'] time")
        expect(deadline).to_be_visible()
        shown = datetime.fromisoformat(deadline.get_attribute("datetime"))  # in the course's zone
        assert shown == datetime(2030, 6, 1, 16, 30, tzinfo=UTC)
        student.click("a:has-text('Q1. Cross-entropy')")
        expect(student.locator("h1")).to_contain_text("Cross-entropy")
    finally:
        student_context.close()
    assert Question.objects.get(pk=question.pk).bands.get(label="GOOD").min_points == 6
