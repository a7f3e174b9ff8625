"""Sections: create, rename, delete only when empty, and put people in them."""

from __future__ import annotations

import html

import pytest

from courses.models import Enrollment, Section
from courses.tests.factories import make_course

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _url(world, path: str = "") -> str:
    return f"/manage/{world.course.slug}/sections/{path}"


def test_an_instructor_creates_renames_and_deletes_an_empty_section(client, world):
    client.force_login(world.instructor)
    created = client.post(_url(world), {"name": "  Lab A  "}, follow=True)
    assert "Added the section “Lab A”." in _text(created)
    section = Section.objects.get(course=world.course)
    assert section.name == "Lab A"
    renamed = client.post(_url(world, f"{section.pk}/rename"), {"name": "Lab 1"}, follow=True)
    assert "Renamed “Lab A” to “Lab 1”." in _text(renamed)
    deleted = client.post(_url(world, f"{section.pk}/delete"), follow=True)
    assert "Deleted the section “Lab 1”." in _text(deleted)
    assert not Section.objects.exists()


def test_a_duplicate_or_empty_name_is_refused(client, world):
    Section.objects.create(course=world.course, name="Lab A")
    other = Section.objects.create(course=world.course, name="Lab B")
    client.force_login(world.instructor)
    duplicate = client.post(_url(world), {"name": "Lab A"})
    assert duplicate.status_code == 400
    assert "The course already has a section “Lab A”." in _text(duplicate)
    assert client.post(_url(world), {"name": "   "}).status_code == 400
    renamed = client.post(_url(world, f"{other.pk}/rename"), {"name": "Lab A"}, follow=True)
    assert "The course already has a section “Lab A”." in _text(renamed)
    assert sorted(Section.objects.values_list("name", flat=True)) == ["Lab A", "Lab B"]


def test_a_section_with_people_is_not_deleted(client, world):
    section = Section.objects.create(course=world.course, name="Lab A")
    Enrollment.objects.filter(user=world.student).update(section=section)
    client.force_login(world.instructor)
    response = client.post(_url(world, f"{section.pk}/delete"), follow=True)
    assert "“Lab A” still has 1 person; move them to another section first." in _text(response)
    assert Section.objects.filter(pk=section.pk).exists()


def test_the_people_page_puts_a_person_in_a_section_of_this_course_only(client, world):
    section = Section.objects.create(course=world.course, name="Lab A")
    foreign = Section.objects.create(course=make_course("elsewhere"), name="Lab Z")
    enrollment = Enrollment.objects.get(user=world.student, course=world.course)
    client.force_login(world.instructor)
    url = f"/manage/{world.course.slug}/people/{enrollment.pk}/section"
    done = client.post(url, {"section": section.pk}, follow=True)
    assert "student is now in Lab A." in _text(done)
    enrollment.refresh_from_db()
    assert enrollment.section == section
    refused = client.post(url, {"section": foreign.pk}, follow=True)
    assert "Choose one of the course's sections." in _text(refused)
    enrollment.refresh_from_db()
    assert enrollment.section == section
    client.post(url, {"section": ""})
    enrollment.refresh_from_db()
    assert enrollment.section is None


def test_the_sections_page_counts_active_students_and_tas(client, world):
    section = Section.objects.create(course=world.course, name="Lab A")
    Enrollment.objects.filter(course=world.course).update(section=section)
    client.force_login(world.ta)
    response = client.get(_url(world))
    row = response.context["sections"][0]
    assert (row.students, row.tas) == (2, 1)
    assert "Add a section" not in _text(response)  # TAs read only
    assert client.post(_url(world), {"name": "Lab B"}).status_code == 403


def test_a_section_of_another_course_is_a_404(client, world):
    foreign = Section.objects.create(course=make_course("elsewhere"), name="Lab Z")
    client.force_login(world.instructor)
    assert client.post(_url(world, f"{foreign.pk}/delete")).status_code == 404
    assert client.post(_url(world, f"{foreign.pk}/rename"), {"name": "X"}).status_code == 404
    assert Section.objects.get(pk=foreign.pk).name == "Lab Z"
