"""The student pages as a student meets them in Chromium: the live status badge, the word-range warning before
submitting, times written by the page's script, and a phone layout where nothing overflows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from courses.models import Question, Response
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user, words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
VISIBLE_BOX = 150  # px of the answer box on the first screen, enough to see and tap into
PASSWORD = "reflect-demo"


@pytest.fixture
def setup(live_server):
    course = make_course("ml-systems", time_zone="Europe/Berlin")
    question = make_question(make_module(course, 1, slug="activations"), 1, title="Computational Efficiency")
    student = make_user("ada")
    enroll(student, course)
    return question, student, f"{live_server.url}/questions/{question.pk}/"


def test_the_status_badge_follows_autosaves(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    badge = page.locator("#answer-status")
    expect(badge).to_have_text("not started")
    page.locator("#answer").fill("A first thought about cost.")
    expect(badge).to_have_text("draft", timeout=8000)
    expect(badge).to_have_class(re.compile(r"\bdraft\b"))
    # The time the script writes has the pages' one format, in the course's zone.
    expect(page.locator("#save-state")).to_have_text(re.compile(r"^Saved \d{1,2} \w{3} \d{4}, \d\d:\d\d CES?T$"))


def test_a_submission_outside_the_range_is_held_back_once_with_a_warning(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    page.locator("#answer").fill(words(120))
    page.locator("#submit-answer").click()
    warning = page.locator("#word-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("has 120 words; it needs 150–300")
    expect(warning).to_contain_text("Add at least 30 words")
    assert page.url == url
    page.locator("#answer").fill(words(170))  # back in range: the warning goes and the submission goes through
    expect(warning).to_be_hidden()
    page.locator("#submit-answer").click()
    expect(page.locator(".message.success")).to_contain_text("Submitted 170 words")
    assert Response.objects.get(student=student).submitted_word_count == 170


def test_a_submission_over_the_range_says_how_many_to_remove(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    page.locator("#answer").fill(words(302))
    page.locator("#submit-answer").click()
    expect(page.locator("#word-warning")).to_contain_text("Remove at least 2 words")
    expect(page.locator("#answer-status")).to_have_text(re.compile("not started|draft"))


def _student_pages(demo) -> list[str]:
    questions = list(Question.objects.filter(module__course__slug="tinytorch").order_by("module__number", "number"))
    answered = Response.objects.filter(student__username="student2", status="submitted").first()
    return [
        "/", "/courses/tinytorch/", *{f"/courses/tinytorch/{q.module.slug}/" for q in questions},
        *[f"/questions/{q.pk}/" for q in questions], f"/responses/{answered.pk}/", "/account/notices/",
        "/activations/", "/activations/cost/", "/activations/stability/", "/activations/precision/",
    ]


def test_on_a_phone_no_student_page_overflows_and_the_answer_box_is_on_the_first_screen(browser, live_server,
                                                                                       login, demo):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, demo["student2"], PASSWORD)
        too_wide, answer_too_low = [], []
        for path in _student_pages(demo):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append(f"{path}: {width}px")
            box = page.locator("#answer")
            if box.count():
                top = box.bounding_box()["y"]
                if top > PHONE["height"] - VISIBLE_BOX:
                    answer_too_low.append(f"{path}: {top:.0f}px")
        assert too_wide == []
        assert answer_too_low == []
    finally:
        context.close()
