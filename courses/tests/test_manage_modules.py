"""Modules in the manage area: list, create, edit, publish, reorder, and dates for all of a module's questions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from courses.models import Enrollment, Module, Question, Role
from courses.tests.factories import make_module, make_question

User = get_user_model()


@pytest.fixture
def course(world):
    """The world's course with three modules: 1 activations (one question), 2 losses (draft, two), 3 optimizers."""
    make_question(make_module(world.course, 2, slug="losses", title="Losses", is_published=False), 1)
    Module.objects.get(slug="losses").questions.create(number=2, grade_id="q2", title="Q2", prompt="Why?")
    make_module(world.course, 3, slug="optimizers", title="Optimizers")
    return world.course


def modules_url(course) -> str:
    return f"/manage/{course.slug}/modules/"


def order(course) -> list[tuple[int, str]]:
    return list(course.modules.order_by("number").values_list("number", "slug"))


def test_the_list_shows_number_title_state_and_question_count(client, world, course):
    client.force_login(world.instructor)
    page = client.get(modules_url(course)).content.decode()
    rows = page.split('<tr data-module="')[1:]
    assert [row.split('"', 1)[0] for row in rows] == ["activations", "losses", "optimizers"]
    assert "Published" in rows[0] and 'class="num">1</td>' in rows[0]
    assert "Draft" in rows[1] and 'class="num">2</td>' in rows[1]
    assert ">Publish</button>" in rows[1] and ">Unpublish</button>" in rows[0]


def test_an_instructor_publishes_and_unpublishes(client, world, course):
    client.force_login(world.instructor)
    url = f"/manage/{course.slug}/modules/losses/publish"
    page = client.post(url, {"publish": "1"}, follow=True).content.decode()
    assert "“Losses” is published: students see it now." in page
    assert Module.objects.get(slug="losses").is_published
    client.post(url, {"publish": "0"})
    assert not Module.objects.get(slug="losses").is_published


def test_a_bad_publish_value_changes_nothing(client, world, course):
    client.force_login(world.instructor)
    page = client.post(f"/manage/{course.slug}/modules/losses/publish", {"publish": "yes"}, follow=True)
    assert "Choose Publish or Unpublish." in page.content.decode()
    assert not Module.objects.get(slug="losses").is_published


def test_moving_a_module_swaps_it_with_its_neighbour(client, world, course):
    client.force_login(world.instructor)
    page = client.post(f"/manage/{course.slug}/modules/optimizers/move", {"direction": "up"}, follow=True)
    assert "“Optimizers” is now module 2." in page.content.decode()
    assert order(course) == [(1, "activations"), (2, "optimizers"), (3, "losses")]
    client.post(f"/manage/{course.slug}/modules/activations/move", {"direction": "down"})
    assert order(course) == [(1, "optimizers"), (2, "activations"), (3, "losses")]


def test_moving_past_either_end_says_so_and_changes_nothing(client, world, course):
    client.force_login(world.instructor)
    page = client.post(f"/manage/{course.slug}/modules/activations/move", {"direction": "up"}, follow=True)
    assert "“Activations” is already first." in page.content.decode()
    page = client.post(f"/manage/{course.slug}/modules/optimizers/move", {"direction": "down"}, follow=True)
    assert "“Optimizers” is already last." in page.content.decode()
    page = client.post(f"/manage/{course.slug}/modules/losses/move", {"direction": "sideways"}, follow=True)
    assert "Choose Up or Down." in page.content.decode()
    assert order(course) == [(1, "activations"), (2, "losses"), (3, "optimizers")]


def test_moves_keep_gaps_in_the_numbering(client, world, course):
    Module.objects.filter(slug="optimizers").update(number=7)
    client.force_login(world.instructor)
    client.post(f"/manage/{course.slug}/modules/optimizers/move", {"direction": "up"})
    assert order(course) == [(1, "activations"), (2, "optimizers"), (7, "losses")]


def test_an_instructor_creates_a_module_as_a_draft(client, world, course):
    client.force_login(world.instructor)
    assert 'value="4"' in client.get(f"/manage/{course.slug}/modules/new/").content.decode()
    response = client.post(f"/manage/{course.slug}/modules/new/",
                           {"number": 4, "slug": "attention", "title": "Attention", "summary": ""}, follow=True)
    assert "created as a draft" in response.content.decode()
    module = Module.objects.get(course=course, slug="attention")
    assert module.number == 4 and not module.is_published


@pytest.mark.parametrize("data, message", [
    ({"number": 2, "slug": "attention", "title": "Attention"}, "Module 2 is already “Losses”"),
    ({"number": 4, "slug": "losses", "title": "Attention"}, "already has the slug “losses”"),
    ({"number": 4, "slug": "not a slug", "title": "Attention"}, "Enter a valid “slug”"),
    ({"number": 0, "slug": "attention", "title": "Attention"}, "greater than or equal to 1"),
    ({"number": 10**12, "slug": "attention", "title": "Attention"}, "less than or equal to 999"),
    ({"number": 4, "slug": "attention", "title": ""}, "This field is required."),
])
def test_a_bad_new_module_is_refused_and_nothing_is_created(client, world, course, data, message):
    client.force_login(world.instructor)
    response = client.post(f"/manage/{course.slug}/modules/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode() and "Nothing was created" in response.content.decode()
    assert course.modules.count() == 3


def test_editing_a_module_refuses_a_number_in_use(client, world, course):
    client.force_login(world.instructor)
    url = f"/manage/{course.slug}/modules/optimizers/"
    response = client.post(url, {"number": 1, "slug": "optimizers", "title": "Optimisers"})
    assert response.status_code == 400 and "Module 1 is already “Activations”" in response.content.decode()
    response = client.post(url, {"number": 9, "slug": "optim", "title": "Optimisers"})
    assert response.status_code == 302
    assert Module.objects.filter(course=course, slug="optim", number=9, title="Optimisers").exists()


def test_dates_for_all_questions_are_entered_in_the_course_zone_and_stored_in_utc(client, world, course):
    course.time_zone = "America/New_York"
    course.save()
    client.force_login(world.instructor)
    response = client.post(f"/manage/{course.slug}/modules/losses/schedule",
                           {"opens_at": "2026-03-02T09:00", "due_at": "2026-03-09T23:59"}, follow=True)
    assert "2 questions now open Mon 02 Mar 2026, 09:00 EST and due Mon 09 Mar 2026, 23:59 EDT." in (
        response.content.decode())
    for question in Question.objects.filter(module__slug="losses"):
        assert question.opens_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
        assert question.due_at == datetime(2026, 3, 10, 3, 59, tzinfo=UTC)
    assert Question.objects.get(module__slug="activations").due_at is None
    page = client.get(f"/manage/{course.slug}/modules/losses/").content.decode()
    assert "Mon 9 Mar 2026, 23:59 EDT" in page and "Times in America/New_York." in page


def test_empty_dates_clear_them_for_every_question(client, world, course):
    Question.objects.update(due_at=datetime(2026, 5, 1, tzinfo=UTC))
    client.force_login(world.instructor)
    client.post(f"/manage/{course.slug}/modules/losses/schedule", {"opens_at": "", "due_at": ""})
    assert set(Question.objects.filter(module__slug="losses").values_list("due_at", flat=True)) == {None}
    assert Question.objects.get(module__slug="activations").due_at is not None


@pytest.mark.parametrize("data, message", [
    ({"opens_at": "2026-03-09T09:00", "due_at": "2026-03-02T09:00"}, "The deadline must be after the questions open."),
    ({"opens_at": "", "due_at": "next tuesday"}, "Enter a valid date/time."),
    ({"opens_at": "", "due_at": "2026-03-08T02:30"}, "couldn’t be interpreted in time zone America/New_York"),
])
def test_bad_dates_are_refused_and_nothing_is_written(client, world, course, data, message):
    course.time_zone = "America/New_York"
    course.save()
    client.force_login(world.instructor)
    response = client.post(f"/manage/{course.slug}/modules/losses/schedule", data)
    assert response.status_code == 400
    assert message in response.content.decode() and "No dates were changed" in response.content.decode()
    assert set(Question.objects.values_list("due_at", flat=True)) == {None}


def test_a_ta_reads_modules_but_every_change_is_a_403(client, world, course):
    client.force_login(world.ta)
    page = client.get(modules_url(course)).content.decode()
    assert "Losses" in page and ">Publish</button>" not in page
    assert client.get(f"/manage/{course.slug}/modules/losses/").status_code == 200
    assert client.get(f"/manage/{course.slug}/modules/new/").status_code == 403
    for path, data in (("losses/publish", {"publish": "1"}), ("losses/move", {"direction": "up"}),
                       ("losses/schedule", {"due_at": "2026-03-02T09:00"}),
                       ("losses/", {"number": 2, "slug": "losses", "title": "Mine now"}),
                       ("new/", {"number": 5, "slug": "x", "title": "X"})):
        assert client.post(f"/manage/{course.slug}/modules/{path}", data).status_code == 403
    assert order(course) == [(1, "activations"), (2, "losses"), (3, "optimizers")]
    assert not Module.objects.get(slug="losses").is_published


def test_a_module_of_another_course_is_a_404(client, world, course):
    make_module(world.other_course, 1, slug="elsewhere")
    client.force_login(world.instructor)
    assert client.get(f"/manage/{course.slug}/modules/elsewhere/").status_code == 404
    assert client.post(f"/manage/{course.slug}/modules/elsewhere/publish", {"publish": "1"}).status_code == 404


def _add_students(course, count: int) -> None:
    users = User.objects.bulk_create(User(username=f"s{i:04d}", email=f"s{i}@example.edu") for i in range(count))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=course, role=Role.STUDENT) for u in users)


@pytest.mark.parametrize("students", [10, 200])
def test_the_module_pages_query_counts_do_not_grow(client, world, course, students, django_assert_num_queries):
    _add_students(course, students)
    client.force_login(world.instructor)
    # session, user, staff enrollment with its course, modules with question counts
    with django_assert_num_queries(4):
        assert client.get(modules_url(course)).status_code == 200
    # session, user, staff enrollment with its course, the module, its questions
    with django_assert_num_queries(5):
        assert client.get(f"/manage/{course.slug}/modules/losses/").status_code == 200


@pytest.mark.parametrize("students", [10, 200])
def test_the_new_module_and_new_question_pages_query_counts_do_not_grow(client, world, course, students,
                                                                        django_assert_num_queries):
    _add_students(course, students)
    client.force_login(world.instructor)
    # session, user, staff enrollment with its course, the highest module number
    with django_assert_num_queries(4):
        assert client.get(f"/manage/{course.slug}/modules/new/").status_code == 200
    # session, user, staff enrollment with its course, the module, the highest question number
    with django_assert_num_queries(5):
        assert client.get(f"/manage/{course.slug}/modules/losses/questions/new/").status_code == 200
