"""What the question page tells a student about their answer: its live status, a released grade that stays,
and a refused submission that comes back by a redirect."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from courses.models import Response
from courses.services import response_submit
from courses.tests.factories import make_question, words
from grading.services import grade_save, grades_release


def _save(client, question, text: str, version: int) -> dict:
    reply = client.post(reverse("courses:answer_save", args=[question.pk]),
                        json.dumps({"text": text, "version": version}), content_type="application/json")
    assert reply.status_code == 200
    return reply.json()


def test_an_autosave_reply_says_the_answers_status_now(client, world):
    question = make_question(world.module, 2)
    client.force_login(world.student)
    page = client.get(reverse("courses:question", args=[question.pk])).content.decode()
    assert 'data-status="not started"' in page
    assert _save(client, question, "a first thought", 0)["status"] == "draft"
    response_submit(student=world.student, question=question, text=words(170), base_version=1)
    after = _save(client, question, words(171), 2)
    assert (after["status"], after["has_unsubmitted_changes"]) == ("submitted", True)


@pytest.fixture
def released(world):
    band = world.question.bands.get(label="GOOD")
    grade_save(response_id=world.response.pk, actor=world.ta, band_id=band.pk, score=8, feedback="", base_version=0)
    grades_release(questions=[world.question], actor=world.instructor, released=True)
    return world


def test_editing_a_released_answer_is_warned_about_before_starting(client, released):
    client.force_login(released.student)
    page = client.get(reverse("courses:question", args=[released.question.pk])).content.decode()
    warning = page.index('id="released-grade-warning"')
    assert warning < page.index('id="answer"')  # above the answer box
    assert "released: 8 / 10" in page
    assert "that released grade stays on your record" in page and "until the new submission is graded" in page


def test_no_warning_before_a_release(client, world):
    client.force_login(world.student)
    page = client.get(reverse("courses:question", args=[world.question.pk])).content.decode()
    assert 'id="released-grade-warning"' not in page


def test_after_a_resubmission_the_response_page_says_the_grade_is_for_an_earlier_one(client, released):
    response_submit(student=released.student, question=released.question, text=words(190), base_version=1)
    client.force_login(released.student)
    page = client.get(reverse("courses:response", args=[released.response.pk])).content.decode()
    assert 'id="grade-for-earlier"' in page and "Your latest submission has not been graded yet" in page


def test_a_refused_submission_redirects_and_a_reload_posts_nothing(client, world):
    client.force_login(world.student)
    url = reverse("courses:question", args=[world.question.pk])
    reply = client.post(reverse("courses:answer_submit", args=[world.question.pk]), {"text": "short", "version": 1})
    assert (reply.status_code, reply["Location"]) == (302, url)
    first = client.get(url).content.decode()
    assert "has 1 word; it needs 150–300" in first and ">short</textarea>" in first
    again = client.get(url).content.decode()  # the reload: a GET, the message shown once
    assert "has 1 word" not in again and ">short</textarea>" in again  # the text was kept as the draft
    assert Response.objects.get(pk=world.response.pk).submission_count == 1


def test_a_stale_refused_submission_comes_back_with_both_texts(client, world):
    client.force_login(world.student)
    reply = client.post(reverse("courses:answer_submit", args=[world.question.pk]),
                        {"text": words(160, "mine"), "version": 0}, follow=True)
    page = reply.content.decode()
    assert reply.redirect_chain == [(reverse("courses:question", args=[world.question.pk]), 302)]
    assert f">{words(160, 'mine')}</textarea>" in page and 'id="conflict-text"' in page
    assert Response.objects.get(pk=world.response.pk).text == words(200)
