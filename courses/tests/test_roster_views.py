"""The People page and the roster import's preview → confirm, through the views."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses.models import Enrollment, Notice, Role, Section
from courses.people_views import PAYLOAD_SALT
from courses.tests.factories import enroll, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()
ROSTER = b"name,email,role,section\nAda Lovelace,ada@example.edu,student,Lab A\nAlan Turing,alan@example.edu,TA,\n"


def _upload(client, world, data: bytes = ROSTER, **fields):
    return client.post(f"/manage/{world.course.slug}/people/import/",
                       {"file": SimpleUploadedFile("roster.csv", data, content_type="text/csv"), **fields})


def test_preview_writes_nothing_and_confirm_applies_it(client, world):
    client.force_login(world.instructor)
    users = User.objects.count()
    preview = _upload(client, world)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Preview: nothing is written until you confirm" in page
    assert "2 new accounts (invited by e-mail)" in page
    assert "New sections: Lab A" in page
    assert User.objects.count() == users and not Section.objects.exists()

    payload = preview.context["payload"]
    done = client.post(f"/manage/{world.course.slug}/people/import/", {"payload": payload}, follow=True)
    assert done.redirect_chain[-1][0] == f"/manage/{world.course.slug}/people/"
    assert "Imported the roster: 2 invited, 0 added, 0 updated, 0 unchanged, 0 dropped; new sections: Lab A." in \
        done.content.decode()
    assert Enrollment.objects.get(user__email="alan@example.edu").role == Role.TA
    assert Notice.objects.filter(key__startswith="invite:").count() == 2


def test_a_refused_file_lists_its_rows_and_writes_nothing(client, world):
    client.force_login(world.instructor)
    response = _upload(client, world, b"name,email,role\nAda,ada@example.edu,wizard\nBob,,student\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Import refused: nothing was written" in page
    assert "Line 2: unknown role “wizard”; use student, TA or instructor." in page
    assert "Line 3: no e-mail address." in page
    assert not User.objects.filter(email="ada@example.edu").exists()


def test_confirm_refuses_a_tampered_or_foreign_payload(client, world):
    client.force_login(world.instructor)
    payload = _upload(client, world).context["payload"]
    bad = client.post(f"/manage/{world.course.slug}/people/import/", {"payload": payload[:-2] + "xx"}, follow=True)
    assert "That preview could not be verified; upload the file again." in bad.content.decode()
    other = make_user("other_instructor")
    enroll(other, world.course, Role.INSTRUCTOR)
    client.force_login(other)
    foreign = client.post(f"/manage/{world.course.slug}/people/import/", {"payload": payload}, follow=True)
    assert "That preview belongs to another course or person" in foreign.content.decode()
    assert not User.objects.filter(email="ada@example.edu").exists()


def test_confirm_shows_a_new_preview_when_the_course_changed(client, world):
    client.force_login(world.instructor)
    payload = _upload(client, world).context["payload"]
    make_user("ada_already", email="ada@example.edu")  # someone made Ada's account meanwhile
    response = client.post(f"/manage/{world.course.slug}/people/import/", {"payload": payload})
    assert response.status_code == 409
    assert "The roster changed since your preview" in response.content.decode()
    assert response.context["plan"].totals()["add"] == 1
    assert not Enrollment.objects.filter(user__email="ada@example.edu").exists()


def test_an_expired_preview_is_refused(client, world, settings):
    client.force_login(world.instructor)
    data = {"course": world.course.pk, "user": world.instructor.pk, "text": ROSTER.decode(), "drop": False,
            "digest": "x"}
    old = signing.dumps(data, salt=PAYLOAD_SALT, compress=True)
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        response = client.post(f"/manage/{world.course.slug}/people/import/", {"payload": old}, follow=True)
    assert "That preview is more than an hour old" in response.content.decode()


def test_a_ta_may_read_the_people_page_but_not_import(client, world):
    client.force_login(world.ta)
    page = client.get(f"/manage/{world.course.slug}/people/")
    assert page.status_code == 200 and "Import a roster" not in page.content.decode()
    assert _upload(client, world).status_code == 403
    assert not User.objects.filter(email="ada@example.edu").exists()


def test_the_export_streams_csv_with_formulas_neutralised(client, world):
    world.student.first_name = "=1+1"
    world.student.save()
    client.force_login(world.instructor)
    response = client.get(f"/manage/{world.course.slug}/people/export.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("name,email,username,role,section,sis_id,status\r\n")
    assert "'=1+1,student@example.edu,student,student,,,active" in text


def _grow(world, students: int) -> None:
    have = Enrollment.objects.filter(course=world.course, role=Role.STUDENT).count()
    section = Section.objects.get_or_create(course=world.course, name="Lab A")[0]
    users = User.objects.bulk_create([User(username=f"s{have + i}", email=f"s{have + i}@example.edu")
                                      for i in range(students - have)])
    Enrollment.objects.bulk_create([Enrollment(user=u, course=world.course, section=section) for u in users])


@pytest.mark.parametrize("students", [10, 200])
def test_the_people_page_has_a_fixed_number_of_queries(client, world, django_assert_num_queries, students):
    _grow(world, students)
    client.force_login(world.instructor)
    # session, user, the manager's enrollment with its course, the count of people, one page of people
    # with their users and sections, the course's sections.
    with django_assert_num_queries(6):
        response = client.get(f"/manage/{world.course.slug}/people/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == students + 2  # and the TA and instructor


@pytest.mark.parametrize("students", [10, 200])
def test_the_sections_page_has_a_fixed_number_of_queries(client, world, django_assert_num_queries, students):
    _grow(world, students)
    client.force_login(world.ta)
    # session, user, the manager's enrollment with its course, the sections with their counts.
    with django_assert_num_queries(4):
        response = client.get(f"/manage/{world.course.slug}/sections/")
    assert response.status_code == 200
    assert "Lab A" in response.content.decode()
