"""The demo loader: complete, idempotent, and careful in production."""

import pytest
from django.core.management import CommandError, call_command

from courses.models import Course, Question, Response, ResponseRevision, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True  # the test runner turns it off; load_demo is for development sites


def test_it_creates_the_course_people_and_activations_questions():
    call_command("load_demo")
    course = Course.objects.get(slug="tinytorch")
    assert course.modules.count() >= 4
    questions = Question.objects.filter(module__course=course, module__slug="activations").order_by("number")
    assert [q.lab for q in questions] == ["cost", "stability", "precision"]
    for question in questions:
        assert [(b.label, b.min_points, b.max_points) for b in question.bands.all()] == [
            ("EXCELLENT", 9, 10), ("GOOD", 7, 8), ("SATISFACTORY", 5, 6), ("NEEDS IMPROVEMENT", 1, 4),
            ("NO CREDIT", 0, 0),
        ]
        assert question.mark_scheme.startswith("GRADING CRITERIA (10 points total):")
    roles = dict(course.enrollments.values_list("user__username", "role"))
    assert roles == {"student1": Role.STUDENT, "student2": Role.STUDENT, "student3": Role.STUDENT,
                     "student4": Role.STUDENT, "ta1": Role.TA, "ta2": Role.TA, "instructor": Role.INSTRUCTOR}
    assert Response.objects.filter(status="submitted").count() == 9
    assert Response.objects.filter(is_late=True).count() == 1
    assert not Response.objects.filter(student__username="student1").exists()


def test_running_it_twice_changes_nothing():
    call_command("load_demo")
    counts = (Question.objects.count(), Response.objects.count(), ResponseRevision.objects.count())
    call_command("load_demo")
    assert (Question.objects.count(), Response.objects.count(), ResponseRevision.objects.count()) == counts


def _logs_in(username: str, password: str) -> bool:
    """Through the real login form, as the throttled authentication backend requires."""
    from django.test import Client

    client = Client()
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_the_demo_password_logs_in():
    call_command("load_demo")
    assert _logs_in("student1", "reflect-demo")
    assert _logs_in("admin", "reflect-demo")
    assert not _logs_in("student1", "a-wrong-password")


def test_it_refuses_to_create_accounts_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo")
    assert not Course.objects.exists()
    call_command("load_demo", "--force", "--password", "a-long-secret-pass")
    assert _logs_in("ta1", "a-long-secret-pass")
