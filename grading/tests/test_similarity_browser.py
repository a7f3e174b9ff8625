"""In Chromium, on the demo course: a TA checks a question for near-duplicates, reads the pair and marks it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from courses.models import Question
from grading.models import SimilarPair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "reflect-demo"


def test_a_ta_finds_the_demos_near_duplicate_pair_reads_it_and_marks_it_reviewed(page, live_server, login, demo):
    question = Question.objects.get(module__course__slug="tinytorch", module__slug="activations", number=3)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    login(page, demo["ta1"], PASSWORD)

    page.goto(f"{live_server.url}/grading/questions/{question.pk}/")
    page.locator("#similar-answers").click()
    expect(page.locator("#similar-pairs")).to_contain_text("Press “Check now”")
    page.get_by_role("button", name="Check now").click()
    expect(page.locator(".messages")).to_contain_text("Compared 3 answers: 1 pair to read.")
    rows = page.locator("#similar-pairs tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("to read")
    expect(page.locator("main")).not_to_contain_text("Lovelace")
    expect(page.locator("main")).not_to_contain_text("student3")

    rows.first.get_by_role("link", name="Compare").click()
    for side in ("#answer-a", "#answer-b"):
        expect(page.locator(f"{side} mark").first).to_be_visible()
        expect(page.locator(f"{side} mark").first).to_contain_text("ReLU is one of the few activations")
    expect(page.locator(".similarity-caution")).to_contain_text("not evidence")
    page.locator("#id_reviewed").check()
    page.locator("#id_note").fill("Nearly word for word; spoke with both students.")
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".messages")).to_contain_text("Review saved.")
    expect(page.locator("#id_reviewed")).to_be_checked()
    expect(page.locator("#id_note")).to_have_value("Nearly word for word; spoke with both students.")

    page.get_by_role("link", name="Similar answers").click()
    expect(page.locator("#similar-pairs tbody tr").first).to_contain_text("reviewed")
    pair = SimilarPair.objects.get(question=question)
    assert (pair.reviewed, pair.reviewed_by.username) == (True, "ta1")
    assert violations == []
