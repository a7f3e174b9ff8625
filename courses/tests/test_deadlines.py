"""Each student's own deadline (courses.deadlines): extensions for them or their section, on a question
or a module, the newest winning, revokes putting the ordinary deadline back; lateness and penalty math."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courses.deadlines import (
    Deadline,
    accepts_answer,
    days_late,
    deadline_for_student,
    deadlines_for_question,
    deadlines_for_student,
    late_score,
    penalised_score,
    penalty_percent,
)
from courses.models import Enrollment, Extension, LatePolicy, Section
from courses.tests.factories import make_module, make_question

NOW = timezone.now().replace(microsecond=0)
DUE = NOW + timedelta(days=1)


def _extend(world, *, days: float | None, student=None, section=None, question=None, module=None, ago: int = 0):
    return Extension.objects.create(
        course=world.course, student=student, section=section, question=question,
        module=None if question else (module or world.module),
        due_at=None if days is None else DUE + timedelta(days=days), reason="r", granted_by=world.instructor,
        created_at=NOW - timedelta(minutes=ago),
    )


@pytest.fixture
def due(world):
    world.question.due_at = DUE
    world.question.save()
    return world


def test_without_extensions_a_student_has_the_questions_deadline(due):
    deadline = deadline_for_student(due.student, due.question)
    assert deadline == Deadline(DUE, extended=False)


def test_a_students_own_extension_moves_only_their_deadline(due):
    _extend(due, days=2, student=due.student, question=due.question)
    assert deadline_for_student(due.student, due.question) == Deadline(DUE + timedelta(days=2), extended=True)
    assert deadline_for_student(due.other_student, due.question) == Deadline(DUE, extended=False)


def test_a_module_extension_covers_every_question_of_the_module_and_no_other(due):
    second = make_question(due.module, 2, due_at=DUE)
    elsewhere = make_question(make_module(due.course, 2), 1, due_at=DUE)
    _extend(due, days=3, student=due.student, module=due.module)
    mine = deadlines_for_student(due.student, [due.question, second, elsewhere])
    assert mine[due.question.pk].due_at == mine[second.pk].due_at == DUE + timedelta(days=3)
    assert mine[elsewhere.pk] == Deadline(DUE, extended=False)


def test_a_section_extension_covers_its_students_only(due):
    lab = Section.objects.create(course=due.course, name="Lab A")
    Enrollment.objects.filter(user=due.student, course=due.course).update(section=lab)
    _extend(due, days=1, section=lab, question=due.question)
    assert deadline_for_student(due.student, due.question).extended
    assert not deadline_for_student(due.other_student, due.question).extended
    by_student = deadlines_for_question(due.question, [due.student.pk, due.other_student.pk])
    assert by_student[due.student.pk].due_at == DUE + timedelta(days=1)
    assert by_student[due.other_student.pk].due_at == DUE


def test_the_newest_applicable_extension_wins_whatever_its_scope(due):
    _extend(due, days=5, student=due.student, question=due.question, ago=10)
    _extend(due, days=1, student=due.student, module=due.module, ago=5)
    assert deadline_for_student(due.student, due.question).due_at == DUE + timedelta(days=1)
    _extend(due, days=7, student=due.student, question=due.question, ago=0)
    assert deadline_for_student(due.student, due.question).due_at == DUE + timedelta(days=7)


def test_a_revoke_puts_the_ordinary_deadline_back(due):
    _extend(due, days=2, student=due.student, question=due.question, ago=5)
    _extend(due, days=None, student=due.student, question=due.question, ago=0)
    assert deadline_for_student(due.student, due.question) == Deadline(DUE, extended=False)


def test_another_courses_section_never_applies(due, world):
    theirs = Section.objects.create(course=world.other_course, name="Lab A")
    Enrollment.objects.create(user=due.student, course=world.other_course, section=theirs)
    Extension.objects.create(course=world.other_course, section=theirs, question=make_question(
        make_module(world.other_course)), due_at=DUE + timedelta(days=9), reason="r", granted_by=world.instructor)
    assert not deadline_for_student(due.student, due.question).extended


def test_both_lookups_agree_and_cost_a_fixed_number_of_queries(due, django_assert_num_queries):
    questions = [due.question] + [make_question(due.module, n, due_at=DUE) for n in range(2, 7)]
    lab = Section.objects.create(course=due.course, name="Lab A")
    Enrollment.objects.filter(user=due.student, course=due.course).update(section=lab)
    _extend(due, days=1, section=lab, module=due.module, ago=3)
    _extend(due, days=2, student=due.student, question=questions[2], ago=1)
    with django_assert_num_queries(1):  # the extensions for the student or their sections
        mine = deadlines_for_student(due.student, questions)
    for question in questions:
        with django_assert_num_queries(2):  # the students' sections, the question's extensions
            theirs = deadlines_for_question(question, [due.student.pk, due.other_student.pk])
        assert theirs[due.student.pk] == mine[question.pk]
    assert mine[questions[2].pk].due_at == DUE + timedelta(days=2)
    assert mine[questions[1].pk].due_at == DUE + timedelta(days=1)


def test_lateness_is_counted_from_the_students_own_deadline():
    deadline = Deadline(DUE, extended=True)
    assert deadline.seconds_late(DUE) is None
    assert deadline.seconds_late(DUE + timedelta(seconds=90)) == 90
    assert Deadline(None, extended=False).seconds_late(DUE + timedelta(days=400)) is None


def test_a_rejecting_question_accepts_until_the_students_own_deadline(due):
    due.question.late_policy = LatePolicy.REJECT
    extended = Deadline(DUE + timedelta(days=2), extended=True)
    assert accepts_answer(due.question, extended, DUE + timedelta(days=1))
    assert not accepts_answer(due.question, Deadline(DUE, extended=False), DUE + timedelta(days=1))
    due.question.late_policy = LatePolicy.PENALTY
    assert accepts_answer(due.question, Deadline(DUE, extended=False), DUE + timedelta(days=1))


@pytest.mark.parametrize(("late_seconds", "days"), [(None, 0), (0, 0), (1, 1), (86_400, 1), (86_401, 2),
                                                      (3 * 86_400 - 1, 3)])
def test_a_started_day_counts_as_a_day(late_seconds, days):
    assert days_late(late_seconds) == days


@pytest.mark.parametrize(("policy", "late_seconds", "percent"), [
    (LatePolicy.PENALTY, None, 0),
    (LatePolicy.PENALTY, 60, 10),
    (LatePolicy.PENALTY, 86_400 + 1, 20),
    (LatePolicy.PENALTY, 30 * 86_400, 50),  # the cap
    (LatePolicy.ACCEPT_LATE, 30 * 86_400, 0),
    (LatePolicy.REJECT, 60, 0),
])
def test_the_penalty_is_per_started_day_up_to_the_cap_and_only_under_the_penalty_policy(
    due, policy, late_seconds, percent
):
    due.question.late_policy, due.question.late_penalty_per_day, due.question.late_penalty_cap = policy, 10, 50
    assert penalty_percent(due.question, late_seconds) == percent


def test_the_penalised_score_keeps_two_decimals():
    assert penalised_score(7, 10) == Decimal("6.30")
    assert penalised_score(9, 15) == Decimal("7.65")
    assert penalised_score(10, 0) == Decimal("10.00")
    assert penalised_score(3, 100) == Decimal("0.00")


def test_a_late_score_keeps_the_raw_score_beside_the_penalised_one(due):
    due.question.late_policy, due.question.late_penalty_per_day, due.question.late_penalty_cap = (
        LatePolicy.PENALTY, 10, 50)
    result = late_score(due.question, 3600, 7)
    assert (result.score, result.percent, result.days, result.penalised_display) == (7, 10, 1, "6.30")
    assert late_score(due.question, None, 7).penalised_display == "7"
