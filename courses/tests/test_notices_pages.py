"""Notices in the app: the dashboard's Recent panel, the notices page, preferences, and Notices sent per course."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import DeliveryStatus, Notice, NoticeKind, NoticePreferences
from courses.tests.factories import enroll, make_user

pytestmark = pytest.mark.django_db


def _notices(user, count: int, *, course=None, kind=NoticeKind.GRADES_RELEASED, prefix="n", **fields) -> list[Notice]:
    return Notice.objects.bulk_create(
        Notice(recipient=user, course=course, kind=kind, key=f"{prefix}:{user.pk}:{i}", subject=f"Subject {i}",
               body="Body", url="/", **fields)
        for i in range(count)
    )


def test_the_dashboard_shows_my_recent_notices_only(client, world):
    _notices(world.student, 10, course=world.course)
    _notices(world.other_student, 1, prefix="other")
    client.force_login(world.student)
    page = client.get("/").content.decode()
    assert 'id="recent-notices"' in page
    assert page.count('id="recent-notice-') == 8  # the newest eight
    assert "ML Systems" in page and " UTC</time>" in page and reverse("notices:list") in page
    client.force_login(world.ta)
    assert 'id="recent-notices"' not in client.get("/").content.decode()  # nothing to show, no panel


def test_opening_a_notice_marks_it_read_and_follows_its_link(client, world):
    [notice] = _notices(world.student, 1, course=world.course)
    Notice.objects.filter(pk=notice.pk).update(url=f"/courses/{world.course.slug}/")
    client.force_login(world.student)
    response = client.get(reverse("notices:open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == f"/courses/{world.course.slug}/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notice_link_off_the_site_is_not_followed(client, world):
    [notice] = _notices(world.student, 1)
    Notice.objects.filter(pk=notice.pk).update(url="https://elsewhere.example/phish")
    client.force_login(world.student)
    response = client.get(reverse("notices:open", args=[notice.pk]))
    assert response["Location"] == reverse("notices:list")


def test_the_notices_page_lists_mine_and_marks_them_read(client, world):
    mine = _notices(world.student, 30, course=world.course)
    [theirs] = _notices(world.other_student, 1, prefix="other")
    client.force_login(world.student)
    first = client.get(reverse("notices:list")).content.decode()
    assert "(30)" in first and "Page 1 of 2" in first and first.count('id="notice-') == 25
    response = client.post(reverse("notices:read"), {"notice": mine[0].pk}, follow=True)
    assert "Marked 1 notice read." in response.content.decode()
    client.post(reverse("notices:read"), {"notice": theirs.pk})  # someone else's: nothing changes
    assert Notice.objects.filter(read_at__isnull=False).count() == 1
    client.post(reverse("notices:read"))
    assert Notice.objects.filter(recipient=world.student, read_at__isnull=True).count() == 0
    assert Notice.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1e400", str(2**63)])
def test_a_bad_notice_id_gets_a_message_and_changes_nothing(client, world, bad):
    _notices(world.student, 2)
    client.force_login(world.student)
    response = client.post(reverse("notices:read"), {"notice": bad}, follow=True)
    assert "That notice could not be found." in response.content.decode()
    assert not Notice.objects.filter(read_at__isnull=False).exists()


def test_a_person_turns_reminders_off_and_on(client, world):
    client.force_login(world.student)
    page = client.get(reverse("notices:preferences")).content.decode()
    assert 'name="deadline_reminders"' in page and "checked" in page  # on by default
    response = client.post(reverse("notices:preferences"), {}, follow=True)
    assert "Deadline reminders are off." in response.content.decode()
    assert NoticePreferences.objects.get(user=world.student).deadline_reminders is False
    assert "checked" not in client.get(reverse("notices:preferences")).content.decode()
    client.post(reverse("notices:preferences"), {"deadline_reminders": "on"})
    assert NoticePreferences.objects.get(user=world.student).deadline_reminders is True


class TestNoticesSent:
    def test_it_lists_every_notice_of_the_course_with_its_delivery(self, client, world):
        [failed] = _notices(world.student, 1, course=world.course, email_status=DeliveryStatus.FAILED,
                            email_attempts=2, last_error="SMTPServerDisconnected: gone")
        _notices(world.other_student, 1, course=world.course, kind=NoticeKind.DEADLINE_REMINDER, prefix="r",
                 email_status=DeliveryStatus.SENT, email_attempts=1)
        _notices(world.other_ta, 1, course=world.other_course, prefix="elsewhere")
        client.force_login(world.instructor)
        page = client.get(reverse("notices:course", args=[world.course.slug])).content.decode()
        assert "2 notices" in page and f'id="sent-{failed.pk}"' in page
        assert "SMTPServerDisconnected: gone" in page and "Failed, will retry" in page
        assert "student@example.edu" in page and "Deadline reminder" in page and "Times in UTC" in page
        assert "other_ta" not in page

    def test_it_filters_by_kind_and_status(self, client, world):
        _notices(world.student, 3, course=world.course)
        _notices(world.student, 2, course=world.course, kind=NoticeKind.DEADLINE_REMINDER, prefix="r",
                 email_status=DeliveryStatus.SKIPPED)
        client.force_login(world.ta)
        url = reverse("notices:course", args=[world.course.slug])
        assert "2 notices" in client.get(url, {"kind": "deadline_reminder"}).content.decode()
        assert "3 notices" in client.get(url, {"status": "pending"}).content.decode()
        assert "0 notices" in client.get(url, {"kind": "grades_released", "status": "skipped"}).content.decode()

    def test_an_unknown_filter_is_a_clear_400(self, client, world):
        _notices(world.student, 1, course=world.course)
        client.force_login(world.instructor)
        response = client.get(reverse("notices:course", args=[world.course.slug]), {"kind": "<script>"})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()

    def test_it_pages_through_many_and_keeps_the_filter(self, client, world):
        _notices(world.student, 120, course=world.course)
        client.force_login(world.instructor)
        url = reverse("notices:course", args=[world.course.slug])
        page = client.get(url, {"status": "pending", "page": 2}).content.decode()
        assert "Page 2 of 3" in page and "?status=pending&amp;page=3" in page

    def test_times_are_shown_in_the_course_time_zone(self, client, world):
        world.course.time_zone = "America/New_York"
        world.course.save()
        _notices(world.student, 1, course=world.course)
        client.force_login(world.instructor)
        assert "Times in America/New_York" in client.get(
            reverse("notices:course", args=[world.course.slug])).content.decode()


class TestQueryCounts:
    """Notice pages cost a fixed number of queries, at 10 or 200 students."""

    def _grow(self, world, students: int) -> None:
        for i in range(students):
            student = make_user(f"grow{students}-{i}")
            enroll(student, world.course)
            _notices(student, 2, course=world.course)
        _notices(world.student, students, course=world.course, prefix="mine")

    @pytest.mark.parametrize("students", [10, 200])
    def test_notices_page(self, client, world, django_assert_num_queries, students):
        self._grow(world, students)
        client.force_login(world.student)
        # session, user, count of my notices, a page of them with their courses
        with django_assert_num_queries(4):
            assert client.get(reverse("notices:list")).status_code == 200

    @pytest.mark.parametrize("students", [10, 200])
    def test_preferences_page(self, client, world, django_assert_num_queries, students):
        self._grow(world, students)
        client.force_login(world.student)
        # session, user, my preferences
        with django_assert_num_queries(3):
            assert client.get(reverse("notices:preferences")).status_code == 200

    @pytest.mark.parametrize("students", [10, 200])
    def test_notices_sent_page(self, client, world, django_assert_num_queries, students):
        self._grow(world, students)
        client.force_login(world.instructor)
        # session, user, staff enrollment with its course, count of the course's notices, a page with recipients
        with django_assert_num_queries(5):
            assert client.get(reverse("notices:course", args=[world.course.slug])).status_code == 200

    @pytest.mark.parametrize("students", [10, 200])
    def test_dashboard_with_notices(self, client, world, django_assert_num_queries, students):
        self._grow(world, students)
        client.force_login(world.student)
        # session, user, enrollments with courses and module counts, questions due next, recent notices
        with django_assert_num_queries(5):
            assert client.get("/").status_code == 200
