"""One time format, in the course's time zone with the zone named, on every student page and message."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from courses.models import Response
from courses.moments import moment_display
from courses.tests.factories import words

WINTER = datetime(2026, 11, 29, 13, 5, 42, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)
# Any other time shape the pages used to show: "7:31:13 AM", "07:31:26", "2026-11-29 07:33".
OTHER_SHAPES = re.compile(r"\b\d{1,2}:\d\d:\d\d\b|\b\d{1,2}:\d\d\s?[AP]M\b|\d{4}-\d\d-\d\d \d\d:\d\d")


@pytest.mark.parametrize(("value", "zone", "shown"), [
    (WINTER, "Europe/Berlin", "29 Nov 2026, 14:05 CET"),
    (SUMMER, "Europe/Berlin", "1 Jul 2026, 15:05 CEST"),
    (WINTER, "America/New_York", "29 Nov 2026, 08:05 EST"),
    (WINTER, "UTC", "29 Nov 2026, 13:05 UTC"),
    (WINTER, None, "29 Nov 2026, 13:05 UTC"),  # the site's zone (UTC in tests)
])
def test_a_moment_is_day_month_year_hours_minutes_and_the_zone(value, zone, shown):
    assert moment_display(value, zone) == shown


def test_the_template_filter_says_the_same():
    rendered = Template("{% load moments %}{{ at|moment:zone }}").render(Context({"at": WINTER, "zone": "Asia/Tokyo"}))
    assert rendered == "29 Nov 2026, 22:05 JST"


@pytest.fixture
def berlin(world):
    world.course.time_zone = "Europe/Berlin"
    world.course.save()
    Response.objects.filter(pk=world.response.pk).update(submitted_at=WINTER, updated_at=WINTER)
    world.question.due_at = datetime(2027, 1, 10, 22, 0, tzinfo=UTC)
    world.question.save()
    return world


def _visible(html: str) -> str:
    """The page's text without attributes (datetime="…" holds ISO times on purpose)."""
    return re.sub(r"<[^>]*>", " ", html)


def test_student_pages_show_times_in_the_course_zone_in_one_format(client, berlin):
    client.force_login(berlin.student)
    question_page = _visible(client.get(reverse("courses:question", args=[berlin.question.pk])).content.decode())
    assert "last submitted 29 Nov 2026, 14:05 CET" in " ".join(question_page.split())
    assert "Saved 29 Nov 2026, 14:05 CET" in question_page
    assert "10 Jan 2027, 23:00 CET" in question_page  # the deadline
    response_page = _visible(client.get(reverse("courses:response", args=[berlin.response.pk])).content.decode())
    assert "Submitted 29 Nov 2026, 14:05 CET" in " ".join(response_page.split())
    for page in (question_page, response_page):
        assert not OTHER_SHAPES.search(page), OTHER_SHAPES.search(page)


def test_the_autosave_reply_carries_the_time_as_the_page_shows_it(client, berlin):
    client.force_login(berlin.student)
    with time_machine.travel(WINTER, tick=False):
        reply = client.post(reverse("courses:answer_save", args=[berlin.question.pk]),
                            json.dumps({"text": "new words", "version": 1}), content_type="application/json")
    assert reply.json()["saved_at_display"] == "29 Nov 2026, 14:05 CET"


def test_the_submitted_message_uses_the_format_too(client, berlin):
    client.force_login(berlin.student)
    with time_machine.travel(WINTER, tick=False):
        page = client.post(reverse("courses:answer_submit", args=[berlin.question.pk]),
                           {"text": words(170), "version": 1}, follow=True).content.decode()
    assert "Submitted 170 words on 29 Nov 2026, 14:05 CET." in page
