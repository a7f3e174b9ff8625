"""load_scale_fixture: a big, consistent course in bulk, and never on top of an existing one."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Q

from courses.models import Course, Enrollment, Response, ResponseStatus, Role
from grading.models import Grade, GradeEvent, GradeRelease, RegradeRequest


def _load(**options) -> str:
    out = io.StringIO()
    call_command("load_scale_fixture", stdout=out, **options)
    return out.getvalue()


def test_it_creates_every_student_answering_every_question(db):
    message = _load(students=60, questions=10, course="big")
    course = Course.objects.get(slug="big")
    responses = Response.objects.filter(question__module__course=course)
    assert course.modules.count() == 3  # modules of four questions: 4 + 4 + 2
    assert Enrollment.objects.filter(course=course, role=Role.STUDENT).count() == 60
    assert Enrollment.objects.filter(course=course, role=Role.TA).count() == 4
    assert Enrollment.objects.filter(course=course, role=Role.INSTRUCTOR).count() == 1
    assert responses.count() == 600
    assert responses.filter(status=ResponseStatus.SUBMITTED).count() == 600
    assert responses.exclude(submitted_word_count__range=(150, 300)).count() == 0
    assert "60 students, 10 questions, 600 responses" in message


def test_most_answers_are_graded_consistently_with_an_audit_row_each(db):
    _load(students=60, questions=10, course="big")
    grades = Grade.objects.filter(response__question__module__course__slug="big")
    assert 480 <= grades.count() <= 600  # about 90%
    # Every score sits inside its band, which belongs to the graded question.
    assert grades.exclude(band__question=F("response__question")).count() == 0
    assert grades.filter(Q(score__lt=F("band__min_points")) | Q(score__gt=F("band__max_points"))).count() == 0
    assert GradeEvent.objects.filter(response__question__module__course__slug="big").count() == grades.count()
    graders = set(grades.values_list("graded_by__enrollments__role", flat=True).distinct())
    assert graders == {Role.TA}


def test_the_first_half_of_the_modules_is_released_and_regrades_ask_only_about_released_grades(db):
    _load(students=200, questions=8, course="big")
    released = GradeRelease.objects.filter(question__module__course__slug="big", released=True)
    assert sorted(set(released.values_list("question__module__number", flat=True))) == [1]
    regrades = RegradeRequest.objects.filter(response__question__module__course__slug="big")
    assert regrades.exists()
    assert regrades.exclude(response__question__release__released=True).count() == 0
    assert regrades.exclude(response__grade__isnull=False).count() == 0


def test_it_refuses_a_course_that_exists_and_changes_nothing(db):
    _load(students=5, questions=2, course="big")
    before = Response.objects.count(), Grade.objects.count()
    with pytest.raises(CommandError, match="Course 'big' already exists; nothing was changed"):
        _load(students=50, questions=4, course="big")
    assert (Response.objects.count(), Grade.objects.count()) == before


def test_it_refuses_nonsense_sizes(db):
    with pytest.raises(CommandError, match="must be at least 1"):
        _load(students=0, questions=4, course="big")
    assert not Course.objects.filter(slug="big").exists()


def test_two_scale_courses_live_side_by_side(db):
    _load(students=5, questions=2, course="one")
    _load(students=5, questions=2, course="two")
    assert Response.objects.filter(question__module__course__slug="two").count() == 10
