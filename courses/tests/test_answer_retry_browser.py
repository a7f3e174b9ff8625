"""The answer box while the server can't save: it keeps the text, says so, retries, and loses no keystroke.

Playwright stands in for the outage on the browser's side (the autosave answered with a 503,
or no answer at all); the server's real 503 while PostgreSQL is down is proven in
reflect_site/tests/test_faults.py.
"""

import json

import pytest
from playwright.sync_api import expect

from courses.models import Response
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user
from reflect_site.health import DATABASE_UNAVAILABLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAILURES = 3


@pytest.fixture
def setup(live_server):
    course = make_course("ml-systems")
    question = make_question(make_module(course, 1, slug="activations"), 1)
    student = make_user("ada")
    enroll(student, course)
    return question, student, f"{live_server.url}/questions/{question.pk}/"


def _fail_first_saves(page, question, how: str) -> list[str]:
    """Make the first FAILURES autosaves fail as `how` says; returns the texts every autosave carried."""
    sent: list[str] = []

    def handle(route):
        sent.append(json.loads(route.request.post_data)["text"])
        if len(sent) > FAILURES:
            route.continue_()
        elif how == "503":
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "5"},
                          body=json.dumps({"error": DATABASE_UNAVAILABLE, "retry": True}))
        else:
            route.abort("connectionrefused")

    page.route(f"**/questions/{question.pk}/save", handle)
    return sent


@pytest.mark.parametrize("how", ["503", "no answer"])
def test_an_autosave_that_fails_keeps_the_text_retries_and_saves_what_was_typed_meanwhile(page, login, setup, how):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    sent = _fail_first_saves(page, question, how)
    box, state = page.locator("#answer"), page.locator("#save-state")

    box.fill("Typed before the outage.")
    expect(state).to_contain_text("Not saved yet — retrying", timeout=8000)
    box.press("End")
    box.press_sequentially(" And typed while it lasted.", delay=20)
    expect(state).to_contain_text("Not saved yet — retrying")  # typing doesn't hide that it isn't saved
    stored = json.loads(page.evaluate(f"localStorage.getItem('reflect:draft:{question.pk}')"))
    assert stored["text"] == "Typed before the outage. And typed while it lasted."

    expect(state).to_contain_text("Saved", timeout=20_000)
    full = "Typed before the outage. And typed while it lasted."
    assert len(sent) == FAILURES + 1 and sent[-1] == full
    response = Response.objects.get(student=student, question=question)
    assert response.text == full and response.version == 1
    assert page.evaluate(f"localStorage.getItem('reflect:draft:{question.pk}')") is None

    page.reload()
    expect(box).to_have_value(full)


def test_text_the_server_could_not_save_comes_back_in_a_new_tab_and_is_saved_once_it_can(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    page.route(f"**/questions/{question.pk}/save", lambda route: route.fulfill(
        status=503, content_type="application/json", body=json.dumps({"error": DATABASE_UNAVAILABLE})))
    page.locator("#answer").fill("Written while the database was down.")
    expect(page.locator("#save-state")).to_contain_text("Not saved yet — retrying", timeout=8000)

    server_down = [True]

    def handle(route):
        if server_down[0]:
            route.fulfill(status=503, content_type="application/json", body=json.dumps({"error": DATABASE_UNAVAILABLE}))
        else:
            route.continue_()

    again = page.context.new_page()
    again.route(f"**/questions/{question.pk}/save", handle)
    again.goto(url)
    expect(again.locator("#answer")).to_have_value("Written while the database was down.")
    expect(again.locator("#save-state")).to_contain_text("Restored unsaved changes")
    assert not Response.objects.filter(student=student).exists()

    server_down[0] = False
    expect(again.locator("#save-state")).to_contain_text("Saved", timeout=20_000)
    response = Response.objects.get(student=student, question=question)
    assert response.text == "Written while the database was down."
