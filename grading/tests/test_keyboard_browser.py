"""In a real browser: keyboard grading in at most three keystrokes, no keys while typing, the conflict page."""

import pytest
from playwright.sync_api import expect

from grading.models import Comment, Grade

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(world):
    """The world's two submitted responses in the order the queue gives them."""
    return sorted([world.response, world.other_response], key=lambda r: r.pseudonym)


def test_a_ta_grades_each_response_in_at_most_three_keystrokes(page, login, live_server, world, queue):
    first, second = queue
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{first.pk}/")
    # 2 = second band listed (GOOD, 7–8, top score 8 chosen), - moves to 7, s saves and opens the next.
    for key in ("2", "-", "s"):
        page.keyboard.press(key)
    page.wait_for_url(f"{live_server.url}/grading/responses/{second.pk}/")
    saved = Grade.objects.select_related("band").get(response=first)
    assert (saved.score, saved.band.label, saved.graded_by, saved.feedback) == (7, "GOOD", world.ta, "")

    # 1 = EXCELLENT with its top score 10; Enter saves; nothing ungraded is left, so the queue opens.
    page.keyboard.press("1")
    expect(page.locator("input[name=score][value='10']")).to_be_checked()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/grading/questions/{world.question.pk}/")
    assert Grade.objects.get(response=second).score == 10
    expect(page.locator(".message.info")).to_contain_text("Every submitted response to this question is graded.")


def test_keys_typed_into_the_feedback_stay_text_and_the_comment_bank_inserts_in_one_click(
    page, login, live_server, world, queue
):
    first, _second = queue
    Comment.objects.create(question=world.question, text="Quantify the exp() cost.", created_by=world.ta)
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{first.pk}/")
    feedback = page.locator("#id_feedback")
    feedback.focus()
    page.keyboard.type("1s Enter")
    page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/grading/responses/{first.pk}/"
    expect(page.locator("input[name=band]:checked")).to_have_count(0)
    page.get_by_role("button", name="Insert").click()
    expect(feedback).to_have_value("1s Enter\nQuantify the exp() cost.")
    page.keyboard.press("Escape")
    page.keyboard.press("3")
    page.keyboard.press("s")
    page.wait_for_url(lambda url: f"/responses/{first.pk}/" not in url)
    saved = Grade.objects.select_related("band").get(response=first)
    assert (saved.score, saved.band.label) == (6, "SATISFACTORY")
    assert saved.feedback == "1s Enter\nQuantify the exp() cost."


def test_the_scores_offered_are_exactly_the_chosen_bands(page, login, live_server, world, queue):
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{queue[0].pk}/")
    page.keyboard.press("4")  # NEEDS IMPROVEMENT, 1–4
    enabled = page.locator("input[name=score]:enabled")
    expect(enabled).to_have_count(4)
    assert [enabled.nth(i).get_attribute("value") for i in range(4)] == ["1", "2", "3", "4"]
    for _ in range(6):
        page.keyboard.press("-")
    expect(page.locator("input[name=score]:checked")).to_have_attribute("value", "1")


def test_a_second_graders_stale_save_shows_both_grades_and_keeps_theirs(
    page, browser, login, live_server, world, queue
):
    first, _second = queue
    url = f"{live_server.url}/grading/responses/{first.pk}/"
    login(page, world.ta)
    page.goto(url)
    other = browser.new_context().new_page()
    try:
        login(other, world.instructor)
        other.goto(url)
        expect(other.locator("#lease-warning")).to_contain_text("Being graded by ta")
        for key in ("1", "s"):
            page.keyboard.press(key)
        page.wait_for_url(lambda u: u != url)
        for key in ("3", "s"):
            other.keyboard.press(key)
        expect(other.locator("h1")).to_contain_text("Someone else graded")
        expect(other.locator("#yours")).to_contain_text("6/10")
        expect(other.locator("#theirs")).to_contain_text("10/10")
        expect(other.locator("#theirs")).to_contain_text("by ta")
        other.get_by_role("link", name="Keep theirs").click()
        expect(other.locator("h1")).to_contain_text("10/10 EXCELLENT")
    finally:
        other.context.close()
    assert Grade.objects.get(response=first).score == 10
