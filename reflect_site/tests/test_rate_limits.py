"""Per-user rate limits and site-wide slots, counted in the database so they hold across app servers."""

import time

import pytest
from django.test import Client

from reflect_site.models import RateLimitWindow, SiteSlot
from reflect_site.ratelimit import NoSlotFree, parse_rate, rate_limit_hit, site_slot

EVALUATE = "/activations/api/evaluate"


def test_a_rate_reads_count_and_period():
    assert parse_rate("120/m").count == 120 and parse_rate("120/m").period_s == 60
    assert parse_rate(" 6 / h ").period_s == 3600
    for bad in ("", "m", "10/d", "-1/m", "1e9/s"):
        with pytest.raises(ValueError, match="looks like '120/m'"):
            parse_rate(bad)


@pytest.mark.django_db
def test_the_limit_counts_per_user_and_window(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "evaluate": "3/m"}
    start = 60 * 1_000_000  # the first second of a window
    assert [rate_limit_hit("evaluate", 1, now=start + i) for i in range(3)] == [None, None, None]
    assert rate_limit_hit("evaluate", 1, now=start + 10) == 51  # wait for the next window
    assert rate_limit_hit("evaluate", 2, now=start + 10) is None  # another user has their own count
    assert rate_limit_hit("autosave", 1, now=start + 10) is None  # and so has another scope
    assert rate_limit_hit("evaluate", 1, now=start + 60) is None  # a new window starts again
    assert RateLimitWindow.objects.count() == 3  # one row per user and scope, however long it runs


@pytest.mark.django_db
def test_the_api_answers_429_with_retry_after_once_over_the_limit(world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "evaluate": "2/m"}
    client = Client()
    client.force_login(world.student)
    payload = {"function": "relu", "x": [1, -1]}
    statuses = [client.post(EVALUATE, payload, content_type="application/json").status_code for _ in range(3)]
    if statuses[-1] == 200:  # the window turned over mid-test; one more try lands in the new one
        statuses = [client.post(EVALUATE, payload, content_type="application/json").status_code for _ in range(3)]
    response = client.post(EVALUATE, payload, content_type="application/json")
    assert response.status_code == 429
    assert "Too many requests" in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= 61
    other = Client()
    other.force_login(world.other_student)
    assert other.post(EVALUATE, payload, content_type="application/json").status_code == 200


@pytest.mark.django_db
def test_autosave_over_the_limit_is_refused_and_saves_nothing(world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "autosave": "1/h"}
    client = Client()
    client.force_login(world.student)
    url = f"/questions/{world.question.pk}/save"
    version = world.response.version
    first = client.post(url, {"text": "first draft", "version": version}, content_type="application/json")
    assert first.status_code == 200
    second = client.post(url, {"text": "second draft", "version": first.json()["version"]},
                         content_type="application/json")
    assert second.status_code == 429 and "Too many requests" in second.json()["error"]
    world.response.refresh_from_db()
    assert world.response.text == "first draft"


@pytest.mark.django_db
def test_a_page_over_the_limit_gets_a_429_page_not_json(world, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "benchmark": "1/h"}
    client = Client()
    client.force_login(world.student)
    form = {"functions": ["relu"], "n": "1000", "dtype": "float64"}
    assert client.post("/activations/cost/", form).status_code == 200
    response = client.post("/activations/cost/", form)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode() and response["Retry-After"]
    assert client.get("/activations/cost/").status_code == 200  # reading the page is never limited


@pytest.mark.django_db
def test_a_slot_is_held_once_and_freed_after():
    with site_slot("job", slots=1, hold_s=30):
        with pytest.raises(NoSlotFree):
            with site_slot("job", slots=1, hold_s=30):
                pass
        with site_slot("job", slots=2, hold_s=30):  # a second slot, when there are two
            assert SiteSlot.objects.filter(key__startswith="job:").count() == 2
    assert not SiteSlot.objects.exists()


@pytest.mark.django_db
def test_an_expired_slot_is_taken_over():
    SiteSlot.objects.create(key="job:0", holder="killed-worker", expires_at=time.time() - 1)
    with site_slot("job", slots=1, hold_s=30):
        assert SiteSlot.objects.get(key="job:0").holder != "killed-worker"
