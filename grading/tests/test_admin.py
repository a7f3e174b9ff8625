"""The admin shows grading history read-only: an audit row cannot be changed or deleted there."""

import pytest

from courses.tests.factories import make_user
from grading.models import GradeEvent, NameReveal
from grading.services import name_reveal
from grading.tests.helpers import grade


@pytest.fixture
def admin_client(client, world):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_grading_models_are_listed_in_the_admin(admin_client, world):
    grade(world.response, world.ta)
    for model in ("grade", "gradeevent", "gradinglease", "namereveal", "graderelease", "releaseevent",
                  "regraderequest", "comment"):
        assert admin_client.get(f"/admin/grading/{model}/").status_code == 200


def test_audit_rows_cannot_be_changed_or_deleted_in_the_admin(admin_client, world):
    grade(world.response, world.ta)
    event = GradeEvent.objects.get()
    reveal = name_reveal(response=world.response, actor=world.ta)
    assert admin_client.get(f"/admin/grading/gradeevent/{event.pk}/change/").status_code == 200  # view only
    changed = admin_client.post(f"/admin/grading/gradeevent/{event.pk}/change/", {"new_score": 1, "kind": "graded"})
    assert changed.status_code == 403
    assert admin_client.post(f"/admin/grading/gradeevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"/admin/grading/namereveal/{reveal.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/grading/gradeevent/add/").status_code == 403
    assert GradeEvent.objects.count() == 1 and NameReveal.objects.count() == 1
    assert GradeEvent.objects.get().new_score == 9


@pytest.fixture
def staff_instructor(world):
    """An instructor of `world.course` who may use the admin but is no superuser."""
    from django.contrib.auth.models import Permission

    world.instructor.is_staff = True
    world.instructor.save()
    world.instructor.user_permissions.set(Permission.objects.filter(content_type__app_label="grading"))
    return world.instructor


def test_an_instructor_sees_only_their_own_courses_in_the_grading_admin(client, world, staff_instructor):
    from courses.models import Role
    from courses.tests.factories import enroll, make_course, make_module, make_question, make_response
    from grading.services import comment_add

    mine = grade(world.response, world.ta)
    foreign_question = make_question(make_module(world.other_course, 1, slug="secret-module", title="Secret"), 1)
    stranger = make_user("stranger")
    enroll(stranger, world.other_course)
    theirs = grade(make_response(stranger, foreign_question), world.other_ta)
    foreign_comment = comment_add(question=foreign_question, actor=world.other_ta, text="Their private comment")
    world.other_course.title = "A Course Nobody Here Teaches"
    world.other_course.save()
    second = make_course("second-course", title="My Second Course")  # two of mine, so the filter shows
    enroll(staff_instructor, second, Role.INSTRUCTOR)
    enroll(stranger, second)
    grade(make_response(stranger, make_question(make_module(second, 1), 1)), world.ta)

    client.force_login(staff_instructor)
    listing = client.get("/admin/grading/grade/").content.decode()
    assert f"/admin/grading/grade/{mine.pk}/change/" in listing
    assert f"/admin/grading/grade/{theirs.pk}/change/" not in listing
    assert "A Course Nobody Here Teaches" not in listing  # the course filter lists only my courses
    assert world.course.title in listing and "My Second Course" in listing
    assert client.get(f"/admin/grading/grade/{theirs.pk}/change/").status_code == 302  # "doesn't exist", back out
    for model in ("gradeevent", "namereveal", "graderelease", "releaseevent", "regraderequest", "comment",
                  "gradinglease"):
        page = client.get(f"/admin/grading/{model}/")
        assert page.status_code == 200 and "A Course Nobody Here Teaches" not in page.content.decode(), model
    assert client.get(f"/admin/grading/comment/{foreign_comment.pk}/change/").status_code == 302


def test_an_instructor_cannot_put_a_comment_on_another_courses_question(client, world, staff_instructor):
    from courses.tests.factories import make_module, make_question
    from grading.models import Comment

    foreign_question = make_question(make_module(world.other_course, 1, slug="elsewhere"), 1)
    client.force_login(staff_instructor)
    response = client.post("/admin/grading/comment/add/", {
        "question": foreign_question.pk, "text": "Planted", "created_by": staff_instructor.pk,
    })
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Comment.objects.filter(text="Planted").exists()
