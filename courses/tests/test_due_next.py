"""The dashboard's "Due next": questions still to submit, overdue ones included while they take late work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.extensions import extension_grant
from courses.models import LatePolicy
from courses.selectors import due_soon_for_student
from courses.tests.factories import make_question, make_response

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def due(world):
    """Besides the submitted Q1: Q2 due tomorrow, and three overdue ones, one per late policy."""
    module = world.module
    return {
        "upcoming": make_question(module, 2, due_at=NOW + timedelta(days=1)),
        "accept": make_question(module, 3, due_at=NOW - timedelta(days=2), late_policy=LatePolicy.ACCEPT_LATE),
        "penalty": make_question(module, 4, due_at=NOW - timedelta(days=1), late_policy=LatePolicy.PENALTY,
                                 late_penalty_per_day=10, late_penalty_cap=50),
        "reject": make_question(module, 5, due_at=NOW - timedelta(days=1), late_policy=LatePolicy.REJECT),
    }


def test_it_lists_overdue_questions_that_still_take_late_work_first_and_marked_overdue(world, due):
    listed = due_soon_for_student(world.student, NOW)
    assert [q.number for q in listed] == [3, 4, 2]  # soonest deadline first; the rejecting Q5 is closed
    assert [q.overdue for q in listed] == [True, True, False]


def test_a_submitted_overdue_question_leaves_the_list(world, due):
    make_response(world.student, due["accept"])
    assert [q.number for q in due_soon_for_student(world.student, NOW)] == [4, 2]


def test_an_extension_puts_a_closed_question_back_on_time(world, due):
    extension_grant(course=world.course, granted_by=world.instructor, due_at=NOW + timedelta(hours=3), reason="r",
                    student=world.student, question=due["reject"])
    listed = {q.number: q for q in due_soon_for_student(world.student, NOW)}
    assert set(listed) == {2, 3, 4, 5} and not listed[5].overdue and listed[5].deadline.extended


def test_the_dashboard_marks_overdue_rows_late_with_the_penalty(client, world, due):
    client.force_login(world.student)
    page = client.get("/").content.decode()
    assert page.count('data-overdue="1"') == 2
    assert "overdue: will be marked late" in page
    assert "late: −10 % a day, at most −50 %" in page  # the penalty question's policy
    assert "late accepted" in page  # the accept-late one
    assert f'data-question="{due["reject"].pk}"' not in page


def test_the_dashboard_costs_the_same_queries_with_more_overdue_questions(client, world, due,
                                                                          django_assert_num_queries):
    for n in range(6, 16):
        make_question(world.module, n, due_at=NOW - timedelta(days=n), late_policy=LatePolicy.ACCEPT_LATE)
    client.force_login(world.student)
    client.get("/")  # warm the session
    # session, user, enrollments, recent notices, due-next candidates, extensions
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200


def test_the_overdue_question_page_says_the_answer_will_be_late_and_what_it_costs(client, world, due):
    client.force_login(world.student)
    page = client.get(f"/questions/{due['penalty'].pk}/").content.decode()
    assert "will be marked late, and 10 % is taken off its score for each day or part of a day late, at most 50 %" \
        in page
    page = client.get(f"/questions/{due['accept'].pk}/").content.decode()
    assert "will be marked late." in page and "taken off" not in page
