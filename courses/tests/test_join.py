"""Joining a course with its code: on and off, e-mail domains, already in, dropped, rotation and the rate limit."""

from __future__ import annotations

import html
import re

import pytest

from courses.models import Course, Enrollment, EnrollmentStatus, Role
from courses.people import join_code_new, join_code_normalise
from courses.tests.factories import make_user

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def joinable(world):
    course = world.course
    Course.objects.filter(pk=course.pk).update(join_enabled=True, join_code="K7QX-9MPA")
    course.refresh_from_db()
    return course


def _join(client, code: str):
    return client.post("/join/", {"code": code}, follow=True)


def test_codes_are_short_readable_and_unambiguous():
    codes = {join_code_new() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code) for code in codes)
    assert join_code_normalise(" k7qx 9mpa ") == "K7QX-9MPA"


def test_a_signed_in_person_with_the_code_joins_as_a_student(client, joinable):
    newcomer = make_user("newcomer")
    client.force_login(newcomer)
    response = _join(client, "k7qx9mpa")
    assert response.redirect_chain[-1][0] == f"/courses/{joinable.slug}/"
    assert f"Welcome to {joinable.title}." in _text(response)
    enrollment = Enrollment.objects.get(user=newcomer, course=joinable)
    assert (enrollment.role, enrollment.status) == (Role.STUDENT, EnrollmentStatus.ACTIVE)


def test_the_join_page_needs_a_login(client):
    assert client.get("/join/")["Location"].startswith("/accounts/login/")


def test_a_wrong_code_or_joining_off_says_so_and_writes_nothing(client, joinable):
    newcomer = make_user("newcomer")
    client.force_login(newcomer)
    wrong = client.post("/join/", {"code": "AAAA-AAAA"})
    assert wrong.status_code == 400
    assert "No course takes that code." in _text(wrong)
    Course.objects.filter(pk=joinable.pk).update(join_enabled=False)
    off = client.post("/join/", {"code": "K7QX-9MPA"})
    assert "No course takes that code." in _text(off)
    assert not Enrollment.objects.filter(user=newcomer).exists()


def test_the_domain_limit_lets_in_only_listed_domains_and_their_subdomains(client, joinable):
    Course.objects.filter(pk=joinable.pk).update(join_email_domains="example.edu\nuni.ac.uk")
    outsider = make_user("gmail", email="someone@gmail.com")
    client.force_login(outsider)
    refused = client.post("/join/", {"code": "K7QX-9MPA"})
    assert refused.status_code == 400
    assert ("ML Systems takes sign-ups only from @example.edu, @uni.ac.uk addresses, and your account's address "
            "is someone@gmail.com. Ask your instructor to add you.") in _text(refused)
    assert not Enrollment.objects.filter(user=outsider).exists()
    sub = make_user("sub", email="x@cs.example.edu")
    client.force_login(sub)
    _join(client, "K7QX-9MPA")
    assert Enrollment.objects.filter(user=sub, course=joinable).exists()
    lookalike = make_user("lookalike", email="x@notexample.edu")
    client.force_login(lookalike)
    assert client.post("/join/", {"code": "K7QX-9MPA"}).status_code == 400


def test_someone_already_in_the_course_is_told_and_nothing_changes(client, world, joinable):
    client.force_login(world.ta)
    response = _join(client, "K7QX-9MPA")
    assert "You are already in ML Systems." in _text(response)
    assert Enrollment.objects.get(user=world.ta, course=joinable).role == Role.TA


def test_a_dropped_student_cant_rejoin_by_code(client, world, joinable):
    Enrollment.objects.filter(user=world.student, course=joinable).update(
        status=EnrollmentStatus.DROPPED, dropped_at="2026-01-01T00:00Z")
    client.force_login(world.student)
    response = client.post("/join/", {"code": "K7QX-9MPA"})
    assert response.status_code == 400
    assert "a code can't bring you back. Ask your instructor to restore you." in _text(response)
    assert Enrollment.objects.get(user=world.student, course=joinable).status == EnrollmentStatus.DROPPED


def test_the_join_endpoint_is_rate_limited_per_user(client, joinable, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "join": "3/m"}
    guesser = make_user("guesser")
    client.force_login(guesser)
    statuses = [client.post("/join/", {"code": f"AAAA-AAA{n}"}).status_code for n in range(3, 7)]
    assert statuses == [400, 400, 400, 429]
    # Even the right code is refused until the window passes.
    blocked = client.post("/join/", {"code": "K7QX-9MPA"})
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert not Enrollment.objects.filter(user=guesser).exists()


def test_the_instructor_turns_joining_on_with_domains_and_rotates_the_code(client, world):
    client.force_login(world.instructor)
    url = f"/manage/{world.course.slug}/people/join/"
    bad = client.post(url, {"join_enabled": "on", "join_email_domains": "example.edu\nnot a domain"})
    assert bad.status_code == 400
    assert "“not” is not a domain such as example.edu." in _text(bad)
    world.course.refresh_from_db()
    assert not world.course.join_enabled and not world.course.join_code

    client.post(url, {"join_enabled": "on", "join_email_domains": "@Example.edu"})
    world.course.refresh_from_db()
    assert world.course.join_enabled and world.course.join_email_domains == "example.edu"
    first = world.course.join_code
    assert re.fullmatch(r"\w{4}-\w{4}", first)
    page = _text(client.get(f"/manage/{world.course.slug}/people/"))
    assert first in page

    client.post(f"/manage/{world.course.slug}/people/join/new-code")
    world.course.refresh_from_db()
    assert world.course.join_code != first
    newcomer = make_user("newcomer")
    client.force_login(newcomer)
    assert client.post("/join/", {"code": first}).status_code == 400  # the old code stopped working
    _join(client, world.course.join_code)
    assert Enrollment.objects.filter(user=newcomer, course=world.course).exists()


def test_a_ta_cant_change_joining(client, world):
    client.force_login(world.ta)
    assert client.post(f"/manage/{world.course.slug}/people/join/", {"join_enabled": "on"}).status_code == 403
    assert client.post(f"/manage/{world.course.slug}/people/join/new-code").status_code == 403
    world.course.refresh_from_db()
    assert not world.course.join_enabled and not world.course.join_code
