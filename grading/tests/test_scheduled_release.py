"""Scheduling a release for a date and time in the course's time zone; the worker's task releases it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from courses.models import Course, Notice
from grading.models import GradeRelease, ReleaseEvent
from grading.tasks import scheduled_releases_release, scheduled_releases_run
from grading.tests.helpers import grade

NEW_YORK_9AM = datetime(2030, 1, 15, 14, 0, tzinfo=UTC)  # 09:00 in New York in winter (UTC-5)


def _url(world) -> str:
    return f"/grading/{world.course.slug}/modules/{world.module.slug}/release/confirm/"


def _schedule(client, world, date="2030-01-15", time="09:00", **extra):
    return client.post(_url(world), {"action": "schedule", "confirm": "1", "date": date, "time": time, **extra})


@pytest.fixture
def scheduled(client, world):
    Course.objects.filter(pk=world.course.pk).update(time_zone="America/New_York")
    grade(world.response, world.ta)
    client.force_login(world.instructor)
    reply = _schedule(client, world)
    assert reply.status_code == 302
    return world


def test_a_schedule_is_read_in_the_courses_time_zone_and_recorded(client, scheduled):
    release = GradeRelease.objects.get(question=scheduled.question)
    assert release.scheduled_for == NEW_YORK_9AM
    assert release.scheduled_by == scheduled.instructor and not release.released
    assert not ReleaseEvent.objects.exists()
    page = client.get(_url(scheduled)).content.decode()
    assert "scheduled for Tue 15 Jan 2030, 09:00" in page and "America/New_York" in page
    assert "Cancel the scheduled release" in page


def test_the_task_releases_at_the_time_and_not_before_and_a_second_run_does_nothing(scheduled):
    assert scheduled_releases_release(now=NEW_YORK_9AM - timedelta(seconds=1)) == 0
    assert not GradeRelease.objects.get(question=scheduled.question).released
    assert scheduled_releases_release(now=NEW_YORK_9AM) == 1
    release = GradeRelease.objects.get(question=scheduled.question)
    assert release.released and release.scheduled_for is None
    event = ReleaseEvent.objects.get()
    assert event.actor == scheduled.instructor and event.released
    assert scheduled_releases_release(now=NEW_YORK_9AM + timedelta(hours=1)) == 0
    assert ReleaseEvent.objects.count() == 1


def test_the_periodic_task_function_uses_the_clock(scheduled, django_capture_on_commit_callbacks):
    with time_machine.travel(NEW_YORK_9AM - timedelta(minutes=1), tick=False):
        assert scheduled_releases_run.call() == 0
    with time_machine.travel(NEW_YORK_9AM + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert scheduled_releases_run.call() == 1
    assert len(callbacks) == 1  # the digests' task, queued once the release committed


def test_cancelling_a_schedule_means_the_task_releases_nothing(client, scheduled):
    reply = client.post(_url(scheduled), {"action": "cancel", "confirm": "1"})
    assert reply.status_code == 302
    release = GradeRelease.objects.get(question=scheduled.question)
    assert release.scheduled_for is None and release.scheduled_by is None
    assert scheduled_releases_release(now=NEW_YORK_9AM + timedelta(days=1)) == 0
    assert not GradeRelease.objects.get(question=scheduled.question).released


def test_releasing_now_clears_the_schedule(client, scheduled):
    client.post(_url(scheduled), {"action": "release", "confirm": "1"})
    release = GradeRelease.objects.get(question=scheduled.question)
    assert release.released and release.scheduled_for is None
    assert scheduled_releases_release(now=NEW_YORK_9AM) == 0
    assert ReleaseEvent.objects.count() == 1


@pytest.mark.parametrize(("date", "time", "message"), [
    ("2001-01-01", "09:00", "Choose a time in the future to schedule the release."),
    ("15/01/2030", "09:00", "Enter the date as YYYY-MM-DD."),
    ("2030-01-15", "9 o'clock", "Enter the time as HH:MM (24-hour clock)."),
    ("", "09:00", "Give the date and the time to release at."),
])
def test_a_bad_or_past_time_is_refused_with_a_message_and_writes_nothing(client, world, date, time, message):
    client.force_login(world.instructor)
    reply = _schedule(client, world, date=date, time=time)
    assert reply.status_code == 400 and message in reply.content.decode()
    assert not GradeRelease.objects.exists()


def test_a_ta_cannot_schedule(client, world):
    client.force_login(world.ta)
    assert _schedule(client, world).status_code == 403
    assert not GradeRelease.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_scheduled_release_and_the_digest(world, run_worker, settings):
    settings.PERIODIC_TASKS = ["grading.tasks.scheduled_releases_run"]
    grade(world.response, world.ta)
    grade(world.other_response, world.ta)
    GradeRelease.objects.create(question=world.question, changed_by=world.instructor,
                                scheduled_for=timezone.now() - timedelta(minutes=1), scheduled_by=world.instructor)
    run_worker()
    assert GradeRelease.objects.get(question=world.question).released
    digests = Notice.objects.filter(kind="grades_released")
    assert sorted(digests.values_list("recipient__username", flat=True)) == ["other_student", "student"]
    run_worker()
    assert ReleaseEvent.objects.count() == 1 and digests.count() == 2
