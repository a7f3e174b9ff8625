"""In Chromium at a laptop's 1366×900: the grading page fits one screen, remembers the mark scheme's state,
adds to the comment bank without leaving the page, lets single-key shortcuts be switched off, and stops
saving as soon as another grader takes the response over or saves over it."""

import pytest
from django.db.models.functions import Length
from playwright.sync_api import expect

from courses.models import Response
from grading.models import Comment, Grade

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 900}
DEMO_PASSWORD = "reflect-demo"
POLL_WAIT = 20_000  # the page polls the lease status every 5 s; room for a busy machine


def _inside_viewport(box) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"]


@pytest.fixture
def laptop(page):
    page.set_viewport_size(LAPTOP)
    return page


def test_answer_and_rubric_sit_side_by_side_with_save_in_view_without_scrolling(laptop, login, live_server, demo):
    page = laptop
    # The demo's longest answer, with its full mark scheme and a comment bank in use.
    response = (
        Response.objects.filter(status="submitted", question__module__course__slug="tinytorch")
        .order_by(-Length("submitted_text")).select_related("question").first()
    )
    Comment.objects.bulk_create(
        Comment(question=response.question, text=f"Comment {i}: say what it costs per element.", created_by=demo["ta1"])
        for i in range(6)
    )
    login(page, demo["ta1"], DEMO_PASSWORD)
    page.goto(f"{live_server.url}/grading/responses/{response.pk}/")

    answer, rubric = page.locator(".grading-answer").bounding_box(), page.locator(".grading-rubric").bounding_box()
    assert answer["x"] + answer["width"] <= rubric["x"], "the answer and the rubric are not side by side"
    assert abs(answer["y"] - rubric["y"]) < 2
    assert _inside_viewport(page.locator("#save-next").bounding_box())
    assert page.locator("#answer").bounding_box()["y"] < LAPTOP["height"] - 400, "less than 400 px of the answer shows"

    # The full mark scheme opens on demand; Save stays in view, and the page remembers it open.
    mark_scheme = page.locator("#mark-scheme")
    expect(mark_scheme).not_to_have_attribute("open", "")
    mark_scheme.locator("summary").click()
    expect(mark_scheme.get_by_text("GRADING CRITERIA")).to_be_visible()
    page.reload()
    expect(mark_scheme).to_have_attribute("open", "")
    assert _inside_viewport(page.locator("#save-next").bounding_box())
    mark_scheme.locator("summary").click()
    page.reload()
    expect(mark_scheme).not_to_have_attribute("open", "")


def test_adding_to_the_comment_bank_keeps_band_score_and_feedback_and_stays_on_the_page(
    laptop, login, live_server, world
):
    page = laptop
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{world.response.pk}/")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.keyboard.press("2")
    page.keyboard.press("-")
    page.locator("#id_feedback").fill("Good cost model.")
    page.get_by_label("Add to the comment bank").fill("Cite a measured number.")
    page.get_by_role("button", name="Add comment").click()

    inserted = page.get_by_role("button", name="Insert comment: Cite a measured number.")
    expect(inserted).to_be_visible()
    expect(page.locator("#comment-status")).to_have_text("Comment added to the bank.")
    assert navigations == []
    expect(page.locator("input[name=band]:checked")).to_have_count(1)
    expect(page.locator("input[name=score]:checked")).to_have_attribute("value", "7")
    expect(page.locator("#id_feedback")).to_have_value("Good cost model.")
    expect(page.get_by_label("Add to the comment bank")).to_have_value("")

    page.locator("#id_feedback").press("End")
    inserted.click()
    expect(page.locator("#id_feedback")).to_have_value("Good cost model.\n\nCite a measured number.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("h1")).to_contain_text("7/10 GOOD")
    assert Grade.objects.get(response=world.response).feedback == "Good cost model.\n\nCite a measured number."


def test_a_refused_comment_says_why_and_keeps_the_page(laptop, login, live_server, world):
    page = laptop
    Comment.objects.create(question=world.question, text="Once.", created_by=world.ta)
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{world.response.pk}/")
    page.locator("#id_feedback").fill("Kept.")
    field = page.get_by_label("Add to the comment bank")
    field.fill("Once.")
    field.press("Enter")
    expect(page.locator("#comment-status")).to_have_text("That comment is already in the bank.")
    expect(page.locator("#id_feedback")).to_have_value("Kept.")
    assert Comment.objects.count() == 1 and not Grade.objects.exists()


def test_single_key_shortcuts_can_be_switched_off_and_stay_off(laptop, login, live_server, world):
    page = laptop
    login(page, world.ta)
    url = f"{live_server.url}/grading/responses/{world.response.pk}/"
    page.goto(url)
    toggle = page.get_by_label("Single-key shortcuts")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    page.locator("h1").click()  # focus off the checkbox, as a grader reading the answer would be
    for key in ("1", "s", "f"):
        page.keyboard.press(key)
    expect(page.locator("input[name=band]:checked")).to_have_count(0)
    expect(page.locator("#id_feedback")).not_to_be_focused()
    assert page.url == url and not Grade.objects.exists()

    page.reload()
    expect(page.get_by_label("Single-key shortcuts")).not_to_be_checked()
    page.keyboard.press("1")
    expect(page.locator("input[name=band]:checked")).to_have_count(0)
    page.get_by_label("Single-key shortcuts").check()
    page.locator("h1").click()
    page.keyboard.press("1")
    expect(page.locator("input[name=score][value='10']")).to_be_checked()


def test_band_and_score_groups_are_named_for_screen_readers(laptop, login, live_server, world):
    page = laptop
    login(page, world.ta)
    page.goto(f"{live_server.url}/grading/responses/{world.response.pk}/")
    expect(page.get_by_role("group", name="Band")).to_have_count(1)
    for label in ("EXCELLENT", "GOOD", "SATISFACTORY", "NEEDS IMPROVEMENT", "NO CREDIT"):
        expect(page.get_by_role("group", name=f"Score in {label}")).to_have_count(1)
    expect(page.get_by_role("radio", name="GOOD")).to_have_count(1)


def test_a_grader_whose_response_is_taken_over_is_told_within_seconds_and_keeps_their_text(
    browser, laptop, login, live_server, world
):
    first = laptop
    url = f"{live_server.url}/grading/responses/{world.response.pk}/"
    login(first, world.ta)
    first.goto(url)
    first.keyboard.press("3")
    first.locator("#id_feedback").fill("Half a thought about exp().")
    second = browser.new_context(viewport=LAPTOP).new_page()
    try:
        login(second, world.instructor)
        second.goto(url)
        expect(second.locator("#lease-warning")).to_contain_text("Being graded by ta")
        second.get_by_role("button", name="Take it over").click()
        expect(second.locator("#lease-warning")).to_be_hidden()

        lost = first.locator("#lease-lost")
        expect(lost).to_contain_text("instructor took this response over", timeout=POLL_WAIT)
        expect(first.locator("#save-next")).to_be_disabled()
        expect(first.locator("#id_feedback")).to_have_value("Half a thought about exp().")
        first.locator("h1").click()
        first.keyboard.press("s")
        assert first.url == url and not Grade.objects.exists()

        first.get_by_role("button", name="Take it back").click()
        expect(lost).to_be_hidden()
        expect(first.locator("#save-next")).to_be_enabled()
        expect(second.locator("#lease-lost")).to_contain_text("ta took this response over", timeout=POLL_WAIT)
    finally:
        second.context.close()


def test_apply_mine_instead_tells_the_overridden_grader_at_once(browser, laptop, login, live_server, world):
    first = laptop
    url = f"{live_server.url}/grading/responses/{world.response.pk}/"
    second = browser.new_context(viewport=LAPTOP).new_page()
    try:
        login(second, world.instructor)
        second.goto(url)
        login(first, world.ta)
        first.goto(url)
        first.keyboard.press("1")
        first.get_by_role("button", name="Save", exact=True).click()
        expect(first.locator("h1")).to_contain_text("10/10 EXCELLENT")
        first.locator("#id_feedback").fill("Edited after saving.")

        second.keyboard.press("3")
        second.keyboard.press("s")
        expect(second.locator("h1")).to_contain_text("Someone else graded")
        second.get_by_role("button", name="Apply mine instead").click()
        expect(second.locator("h1")).to_contain_text("6/10 SATISFACTORY")

        lost = first.locator("#lease-lost")
        expect(lost).to_contain_text("instructor saved a grade for this response", timeout=POLL_WAIT)
        expect(first.locator("#save-next")).to_be_disabled()
        expect(first.locator("#id_feedback")).to_have_value("Edited after saving.")
        first.get_by_role("button", name="Compare theirs with yours").click()
        expect(first.locator("#yours")).to_contain_text("Edited after saving.")
        expect(first.locator("#theirs")).to_contain_text("6/10")
    finally:
        second.context.close()
    assert Grade.objects.get(response=world.response).score == 6
