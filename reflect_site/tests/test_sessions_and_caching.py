"""Signed-in pages are never cached, and sessions end when idle or too old."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_signed_in_pages_tell_browsers_and_proxies_to_keep_no_copy(world):
    client = Client()
    client.force_login(world.student)
    for path in ("/", f"/questions/{world.question.pk}/", f"/responses/{world.response.pk}/", "/activations/"):
        cache_control = client.get(path)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, path


def test_public_static_files_stay_cacheable(world, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/, as without collectstatic
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()  # a new client builds the middleware with those settings
    client.force_login(world.student)
    response = client.get("/static/css/reflect.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_session_expires_after_two_idle_hours_not_two_weeks(world, settings):
    assert settings.SESSION_COOKIE_AGE == 2 * 3600
    client = Client()
    client.force_login(world.student)
    session = Session.objects.get()
    assert session.expire_date - timezone.now() < timedelta(hours=2, minutes=1)


def test_activity_slides_the_idle_expiry_without_writing_on_every_request(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        client.force_login(world.student)
        first = Session.objects.get().expire_date
        clock.shift(timedelta(minutes=1))
        client.get("/")
        assert Session.objects.get().expire_date == first  # a minute later: no write
        clock.shift(timedelta(minutes=90))
        assert client.get("/").status_code == 200
        slid = Session.objects.get().expire_date
        assert slid - first >= timedelta(minutes=90)
        clock.shift(timedelta(minutes=119))
        assert client.get("/").status_code == 200  # still inside the slid window


def test_an_idle_session_logs_out(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        client.force_login(world.student)
        clock.shift(timedelta(hours=2, minutes=5))
        response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_ends_after_the_hard_limit_however_active(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        client.force_login(world.student)
        for _ in range(settings.SESSION_MAX_HOURS + 1):
            clock.shift(timedelta(minutes=59))
            last = client.get("/")
    assert last.status_code == 302 and "/accounts/login/" in last["Location"]


def test_an_autosave_after_the_hard_limit_gets_json_not_a_login_page(world, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        client.force_login(world.student)
        clock.shift(timedelta(hours=settings.SESSION_MAX_HOURS, minutes=1))
        client.get("/")  # keeps the session alive until the limit check, which ends it
        response = client.post(f"/questions/{world.question.pk}/save", {"text": "x", "version": 0},
                               content_type="application/json")
    assert response.status_code in (401, 302)
