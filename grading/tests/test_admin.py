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
