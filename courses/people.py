"""Services for a course's people: dropping and restoring, sections, and joining by code."""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Course, Enrollment, EnrollmentStatus, Role, Section

# No 0/O, 1/I/L: a code read aloud or copied from a slide comes out right.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class PeopleError(Exception):
    """A change to the roster that can't be made; the message says why, for the page."""


def enrollment_drop(*, enrollment: Enrollment, actor) -> Enrollment:
    """Mark an enrollment dropped (never deleted): the person loses access, their work stays."""
    if enrollment.user_id == actor.pk:
        raise PeopleError("You can't drop yourself from the course.")
    with transaction.atomic():
        updated = Enrollment.objects.filter(pk=enrollment.pk, status=EnrollmentStatus.ACTIVE).update(
            status=EnrollmentStatus.DROPPED, dropped_at=timezone.now())
    if not updated:
        raise PeopleError(f"{enrollment.user.username} is already dropped.")
    enrollment.refresh_from_db()
    return enrollment


def enrollment_restore(*, enrollment: Enrollment) -> Enrollment:
    """Bring a dropped person back with everything they had."""
    with transaction.atomic():
        updated = Enrollment.objects.filter(pk=enrollment.pk, status=EnrollmentStatus.DROPPED).update(
            status=EnrollmentStatus.ACTIVE, dropped_at=None)
    if not updated:
        raise PeopleError(f"{enrollment.user.username} is not dropped.")
    enrollment.refresh_from_db()
    return enrollment


def enrollment_section_set(*, enrollment: Enrollment, section: Section | None) -> Enrollment:
    """Put a person in a section of their course, or in none."""
    if section is not None and section.course_id != enrollment.course_id:
        raise PeopleError("That section belongs to another course.")
    Enrollment.objects.filter(pk=enrollment.pk).update(section=section)
    enrollment.section = section
    return enrollment


def section_create(*, course: Course, name: str) -> Section:
    name = name.strip()
    try:
        with transaction.atomic():
            return Section.objects.create(course=course, name=name)
    except IntegrityError:
        raise PeopleError(f"The course already has a section “{name}”.") from None


def section_rename(*, section: Section, name: str) -> Section:
    name = name.strip()
    try:
        with transaction.atomic():
            Section.objects.filter(pk=section.pk).update(name=name)
    except IntegrityError:
        raise PeopleError(f"The course already has a section “{name}”.") from None
    section.name = name
    return section


def section_delete(*, section: Section) -> None:
    """Delete an empty section; one with people in it stays, so nobody loses their section unnoticed."""
    with transaction.atomic():
        locked = Section.objects.select_for_update().get(pk=section.pk)
        members = locked.enrollments.count()
        if members:
            raise PeopleError(f"“{section.name}” still has {members} {'person' if members == 1 else 'people'}; "
                              "move them to another section first.")
        if locked.extensions.exists():
            raise PeopleError(f"“{section.name}” has extensions granted to it; it stays so they keep applying.")
        locked.delete()


def join_code_new() -> str:
    """A short, readable code such as K7QX-9MPA (40 bits)."""
    raw = "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def join_code_normalise(text: str) -> str:
    """What a person typed, as a stored code: case, spaces and dashes don't matter."""
    raw = re.sub(r"[^A-Z0-9]", "", text.upper())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == JOIN_CODE_LENGTH else raw


def join_code_rotate(*, course: Course) -> str:
    """Give the course a new code; the old one stops working at once."""
    for _ in range(5):
        code = join_code_new()
        try:
            with transaction.atomic():
                Course.objects.filter(pk=course.pk).update(join_code=code)
        except IntegrityError:
            continue  # another course drew the same code
        course.join_code = code
        return code
    raise PeopleError("Could not draw an unused code; try again.")


def join_domains(text: str) -> list[str]:
    """The allowed e-mail domains, one per line (commas and spaces also separate); lower case."""
    return [d.lstrip("@").lower() for d in re.split(r"[\s,;]+", text) if d.strip()]


def join_domain_errors(text: str) -> list[str]:
    return [f"“{d[:60]}” is not a domain such as example.edu." for d in join_domains(text) if not _DOMAIN.match(d)]


def join_settings_save(*, course: Course, enabled: bool, domains: list[str]) -> Course:
    """Turn joining by code on or off and set the allowed domains; turning it on draws a code if there is none."""
    course.join_enabled = enabled
    course.join_email_domains = "\n".join(domains)
    Course.objects.filter(pk=course.pk).update(join_enabled=enabled, join_email_domains=course.join_email_domains)
    if enabled and not course.join_code:
        join_code_rotate(course=course)
    return course


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY = "already"


def email_domain_allowed(email: str, domains: list[str]) -> bool:
    """True when there is no limit, or the address is at one of the domains or a subdomain of one."""
    if not domains:
        return True
    domain = email.rpartition("@")[2].lower()
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in domains)


def course_join(*, user, code: str) -> tuple[Course, JoinOutcome]:
    """Enroll `user` as a student of the course whose code this is, when joining is on and their domain allowed."""
    code = join_code_normalise(code)
    course = Course.objects.filter(join_code=code, join_enabled=True).first() if code else None
    if course is None:
        raise PeopleError("No course takes that code. Check it with your instructor; codes change now and then.")
    domains = join_domains(course.join_email_domains)
    if not email_domain_allowed(user.email, domains):
        allowed = ", ".join(f"@{d}" for d in domains)
        raise PeopleError(f"{course.title} takes sign-ups only from {allowed} addresses, and your account's "
                          f"address is {user.email or 'empty'}. Ask your instructor to add you.")
    with transaction.atomic():
        enrollment, created = Enrollment.objects.get_or_create(
            user=user, course=course, defaults={"role": Role.STUDENT})
    if created:
        return course, JoinOutcome.JOINED
    if enrollment.status == EnrollmentStatus.DROPPED:
        raise PeopleError(f"You were dropped from {course.title}; a code can't bring you back. "
                          "Ask your instructor to restore you.")
    return course, JoinOutcome.ALREADY
