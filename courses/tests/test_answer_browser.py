"""What only a browser shows: the live counter, autosave, reload, submit and the two-tab conflict."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Response, ResponseRevision
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user, words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(live_server):
    course = make_course("ml-systems")
    question = make_question(make_module(course, 1, slug="activations"), 1, title="Computational Efficiency")
    student = make_user("ada")
    enroll(student, course)
    return question, student, f"{live_server.url}/questions/{question.pk}/"


def test_a_student_writes_autosaves_reloads_and_submits(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    counter = page.locator("#word-counter")
    expect(counter).to_have_text("0 words — needs 150–300")
    expect(counter).to_have_class(re.compile("out-of-range"))

    page.locator("#answer").fill("ReLU is cheap because it only compares.")
    expect(counter).to_have_text("7 words — needs 150–300")
    expect(page.locator("#save-state")).to_contain_text("Saved", timeout=8000)
    page.reload()
    expect(page.locator("#answer")).to_have_value("ReLU is cheap because it only compares.")

    page.locator("#submit-answer").click()  # held back once with a warning; the second press sends it
    expect(page.locator("#word-warning")).to_contain_text("has 7 words; it needs 150–300")
    page.locator("#submit-answer").click()
    expect(page.locator(".messages .message.error")).to_contain_text("has 7 words; it needs 150–300")
    assert page.url == url  # redirected back: a reload would not post again
    expect(page.locator("#answer")).to_have_value("ReLU is cheap because it only compares.")
    assert not Response.objects.get(student=student).is_submitted

    page.locator("#answer").fill(words(160, "softmax"))
    expect(counter).to_have_text("160 words — needs 150–300")
    expect(counter).to_have_class(re.compile("in-range"))
    page.locator("#submit-answer").click()
    expect(page.locator(".message.success")).to_contain_text("Submitted 160 words")
    response = Response.objects.get(student=student)
    assert response.is_submitted and response.submitted_text == words(160, "softmax")


def test_leaving_the_page_saves_the_draft_at_once(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    page.locator("#answer").fill("typed just before closing the tab")
    page.goto(f"{url.split('/questions/')[0]}/")  # navigating away fires pagehide, long before the idle timer
    for _ in range(50):
        response = Response.objects.filter(student=student).first()
        if response and response.text:
            break
        page.wait_for_timeout(100)
    assert response.text == "typed just before closing the tab"


def test_a_second_tab_is_told_about_the_conflict_and_nothing_is_lost(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    second = page.context.new_page()
    second.goto(url)

    page.locator("#answer").fill("written in tab one")
    expect(page.locator("#save-state")).to_contain_text("Saved", timeout=8000)
    second.locator("#answer").fill("written in tab two")
    expect(second.locator("#conflict-banner")).to_be_visible(timeout=8000)
    expect(second.locator("#conflict-message")).to_contain_text("changed in another tab")
    assert Response.objects.get(student=student).text == "written in tab one"

    second.locator("#conflict-keep").click()
    expect(second.locator("#save-state")).to_contain_text("Saved", timeout=8000)
    assert Response.objects.get(student=student).text == "written in tab two"
    texts = set(ResponseRevision.objects.values_list("text", flat=True))
    assert {"written in tab one", "written in tab two"} <= texts


def test_an_answer_with_a_script_never_runs_it(page, login, setup):
    question, student, url = setup
    login(page, student)
    page.goto(url)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = '<script>alert("xss")</script><img src=x onerror="alert(2)"> ' + words(160)
    page.locator("#answer").fill(payload)
    page.locator("#submit-answer").click()
    expect(page.locator("#submitted-text")).to_contain_text('<script>alert("xss")</script>')
    page.goto(url)
    page.wait_for_timeout(300)
    assert dialogs == []
