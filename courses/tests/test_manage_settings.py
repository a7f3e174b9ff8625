"""Course settings in the manage area: instructors change them, TAs read them, bad input writes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from courses.models import Course, Enrollment, LatePolicy, Role

User = get_user_model()


def url(world, page: str = "settings/") -> str:
    return f"/manage/{world.course.slug}/{page}"


def settings_data(**changes) -> dict:
    data = {"title": "ML Systems, spring", "description": "Read **everything**.", "regrade_window_days": 10,
            "time_zone": "Europe/London", "default_late_policy": LatePolicy.PENALTY}
    data.update(changes)
    return data


def test_the_manage_area_opens_on_the_settings(client, world):
    client.force_login(world.instructor)
    response = client.get(url(world, ""))
    assert response.status_code == 302 and response["Location"] == url(world)


def test_an_instructor_changes_every_setting(client, world):
    client.force_login(world.instructor)
    response = client.post(url(world), settings_data(), follow=True)
    assert "Course settings saved." in response.content.decode()
    course = Course.objects.get(pk=world.course.pk)
    assert (course.title, course.description, course.regrade_window_days, course.time_zone,
            course.default_late_policy) == ("ML Systems, spring", "Read **everything**.", 10, "Europe/London",
                                            LatePolicy.PENALTY)


@pytest.mark.parametrize("changes, message", [
    ({"time_zone": "Mars/Olympus_Mons"}, "Select a valid choice. Mars/Olympus_Mons is not one of the available"),
    ({"time_zone": ""}, "This field is required."),
    ({"title": ""}, "This field is required."),
    ({"title": "x" * 201}, "Ensure this value has at most 200 characters"),
    ({"regrade_window_days": -1}, "Ensure this value is greater than or equal to 0."),
    ({"regrade_window_days": 366}, "Ensure this value is less than or equal to 365."),
    ({"regrade_window_days": "seven"}, "Enter a whole number."),
    ({"default_late_policy": "never"}, "Select a valid choice. never is not one of the available choices."),
    ({"description": "a\x00b"}, "Null characters are not allowed."),
])
def test_bad_settings_are_refused_with_a_message_and_nothing_is_written(client, world, changes, message):
    client.force_login(world.instructor)
    before = Course.objects.values().get(pk=world.course.pk)
    response = client.post(url(world), settings_data(**changes))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in page and message in page
    assert Course.objects.values().get(pk=world.course.pk) == before
    # The page shows what is stored, not the refused title.
    assert f"<h2 id=\"settings-heading\">{before['title']}" in page


def test_a_ta_reads_the_settings_but_cannot_change_them(client, world):
    client.force_login(world.ta)
    page = client.get(url(world)).content.decode()
    assert "only the course's instructors can change them" in page
    assert 'name="title"' in page and "disabled" in page and "Save settings" not in page
    assert client.post(url(world), settings_data()).status_code == 403
    assert Course.objects.get(pk=world.course.pk).title == "ML Systems"


def test_students_dropped_staff_and_strangers_get_404(client, world):
    for user in (world.student, world.outsider, world.other_ta):
        client.force_login(user)
        assert client.get(url(world)).status_code == 404
        assert client.post(url(world), settings_data()).status_code == 404
    Enrollment.objects.filter(user=world.ta).update(status="dropped", dropped_at="2026-01-01T00:00Z")
    client.force_login(world.ta)
    assert client.get(url(world)).status_code == 404


def test_the_nav_names_every_section_of_the_manage_area(client, world):
    client.force_login(world.instructor)
    page = client.get(url(world)).content.decode()
    for label in ("Settings", "Modules &amp; questions", "People", "Sections", "Extensions", "Grading team",
                  "Notices sent", "Copy to next term"):
        assert f">{label}</a>" in page
    assert 'aria-current="page">Settings</a>' in page


def test_the_dashboard_links_staff_to_manage_and_not_students(client, world):
    client.force_login(world.ta)
    assert f'href="/manage/{world.course.slug}/">Manage</a>' in client.get("/").content.decode()
    client.force_login(world.student)
    assert "/manage/" not in client.get("/").content.decode()


def _add_students(course, count: int) -> None:
    users = User.objects.bulk_create(User(username=f"s{i:04d}", email=f"s{i}@example.edu") for i in range(count))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course, role=Role.STUDENT) for u in users)


@pytest.mark.parametrize("students", [10, 200])
def test_the_settings_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _add_students(world.course, students)
    client.force_login(world.instructor)
    # session, user, staff enrollment with its course
    with django_assert_num_queries(3):
        assert client.get(url(world)).status_code == 200


def test_an_empty_post_is_refused_and_writes_nothing(client, world):
    client.force_login(world.instructor)
    response = client.post(url(world), {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert Course.objects.get(pk=world.course.pk).title == "ML Systems"
