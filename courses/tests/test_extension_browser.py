"""In a real browser: the instructor grants a student an extension on the Extensions page; the student,
past the original deadline, sees "extended" on the question, submits, and is not marked late."""

import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Extension, LatePolicy, Response
from courses.tests.factories import make_question, words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_instructor_grants_an_extension_and_the_student_submits_late_without_being_late(
        page, browser, login, live_server, world):
    world.course.time_zone = "Europe/Paris"
    world.course.save()
    # Due an hour ago, late work refused: without an extension the answer box is read-only.
    question = make_question(world.module, 2, title="Softmax stability", late_policy=LatePolicy.REJECT,
                             due_at=timezone.now() - timedelta(hours=1))

    login(page, world.instructor)
    page.goto(f"{live_server.url}/manage/{world.course.slug}/extensions/")
    expect(page.locator("h1")).to_have_text("Extensions")
    page.fill("#id_student", world.student.username)
    page.select_option("#id_question", label="M01 Q2. Softmax stability")
    due = timezone.localtime(timezone.now() + timedelta(days=2), timezone=zoneinfo.ZoneInfo("Europe/Paris"))
    page.fill("#id_due_at", due.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_reason", "Hospital visit, note seen")
    page.click("button:has-text('Grant extension')")
    expect(page.locator(".message.success")).to_contain_text("Extension granted")
    row = page.locator("#extensions tbody tr").first
    expect(row).to_contain_text("Hospital visit, note seen")
    expect(row).to_contain_text("Q2. Softmax stability")
    expect(row).to_contain_text(world.instructor.username)
    extension = Extension.objects.get()
    assert (extension.student, extension.question, extension.granted_by) == (world.student, question,
                                                                             world.instructor)

    student_context, other_context = browser.new_context(), browser.new_context()
    student = student_context.new_page()
    try:
        login(student, world.student)
        student.goto(f"{live_server.url}/questions/{question.pk}/")
        expect(student.locator("[data-extended]")).to_have_text("extended")
        expect(student.locator("#answer")).to_be_editable()
        student.fill("#answer", words(170))
        student.click("#submit-answer")
        expect(student.locator("#submitted-text")).to_contain_text("word")
        expect(student.locator(".badge.late")).to_have_count(0)
        assert "marked late" not in student.content()
        response = Response.objects.get(student=world.student, question=question)
        assert response.is_submitted and (response.is_late, response.late_seconds) == (False, None)

        # Another student, without an extension, finds the answer read-only.
        other = other_context.new_page()
        login(other, world.other_student)
        other.goto(f"{live_server.url}/questions/{question.pk}/")
        expect(other.locator("#answer-readonly")).to_be_visible()
        expect(other.locator("[data-extended]")).to_have_count(0)
    finally:
        student_context.close()
        other_context.close()
