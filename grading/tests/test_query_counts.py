"""The overview, queue and grading pages run a fixed number of SQL queries, whatever the class size."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import Enrollment, Response, ResponseStatus, Role
from grading.models import Grade, GradingLease, RegradeRequest
from grading.tests.helpers import band, grade

User = get_user_model()


def _populate(world, students: int) -> None:
    """`students` more students who all submitted; every other one graded, some late, leased or asking for a regrade."""
    users = User.objects.bulk_create(
        User(username=f"bulk{i:05d}", email=f"bulk{i}@example.edu") for i in range(students)
    )
    Enrollment.objects.bulk_create(Enrollment(user=u, course=world.course, role=Role.STUDENT) for u in users)
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(
            student=u, question=world.question, text="some words", submitted_text="some words", version=1,
            status=ResponseStatus.SUBMITTED, submitted_at=now, submitted_word_count=2, submission_count=1 + i % 3,
            is_late=i % 4 == 0, pseudonym=f"B{i:05d}",
        )
        for i, u in enumerate(users)
    )
    good = band(world.question, "GOOD")
    Grade.objects.bulk_create(
        Grade(response=r, band=good, score=7, points=10, graded_by=world.instructor if i % 4 else world.ta)
        for i, r in enumerate(responses) if i % 2 == 0
    )
    GradingLease.objects.bulk_create(
        GradingLease(response=r, holder=world.instructor, expires_at=now + timezone.timedelta(minutes=3))
        for r in responses[1::5]
    )
    RegradeRequest.objects.bulk_create(RegradeRequest(response=r, reason="Look again.") for r in responses[::6])


@pytest.mark.parametrize("students", [10, 1000])
def test_the_course_overview_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    client.force_login(world.instructor)
    # session, user, course via staff enrollment, modules, questions with progress counts and release,
    # enrolled-student count, each grader's assigned and graded counts (grading team)
    with django_assert_num_queries(7):
        page = client.get(f"/grading/{world.course.slug}/")
    assert page.status_code == 200
    assert f"{students + 2} enrolled students" in page.content.decode()


@pytest.mark.parametrize("students", [10, 1000])
def test_the_queue_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    client.force_login(world.ta)
    # session, user, question via staff enrollment, whether the TA has answers assigned (no filter asked for),
    # calibration exemplars left for the TA (none), paginator count, one page of responses with grade, band,
    # grader, lease holder and regrade request, the question's double-marking share, the next ungraded one
    with django_assert_num_queries(9):
        page = client.get(f"/grading/questions/{world.question.pk}/")
    assert page.status_code == 200
    assert "being graded by instructor" in page.content.decode()


@pytest.mark.parametrize("students", [10, 1000])
def test_the_grading_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    grade(world.response, world.instructor)
    client.force_login(world.ta)
    # session, user, response with question, course, grade, band, grader, lease, regrade and release;
    # lease: savepoint, lock the lease row, insert it, release savepoint; previous and next in the queue,
    # bands, comment bank, name reveal check, grade history with actors, the progress counts (one aggregate);
    # calibration exemplars left for the TA, the double-marking share (the grade is someone else's)
    with django_assert_num_queries(16):
        page = client.get(f"/grading/responses/{world.response.pk}/")
    assert page.status_code == 200
    graded = (students + 1) // 2 + 1
    assert f"{graded} of {students + 2} graded · {students + 2 - graded} left for you" in page.content.decode()


@pytest.mark.parametrize("students", [10, 1000])
def test_the_lease_status_poll_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    grade(world.response, world.instructor)
    client.force_login(world.ta)
    # session, user, response via staff enrollment with its grade, grader and lease holder
    with django_assert_num_queries(3):
        reply = client.get(f"/grading/responses/{world.response.pk}/lease/status/")
    assert reply.json()["version"] == 1


@pytest.mark.parametrize("students", [10, 1000])
def test_save_and_next_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    client.force_login(world.ta)
    data = {"band": band(world.question, "GOOD").pk, "score": 8, "version": 0, "then": "next"}
    # session, user, response via staff enrollment; savepoint, lock the response, band, lock the grade,
    # insert grade, insert event, end the lease, release savepoint; next ungraded response;
    # calibration exemplars left for the TA
    with django_assert_num_queries(13):
        reply = client.post(f"/grading/responses/{world.response.pk}/save/", data)
    assert reply.status_code == 302 and "/grading/responses/" in reply["Location"]


@pytest.mark.parametrize("students", [10, 1000])
def test_the_conflict_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    grade(world.response, world.instructor)
    client.force_login(world.ta)
    data = {"band": band(world.question, "GOOD").pk, "score": 8, "version": 0}
    # session, user, response via staff enrollment; savepoint, lock the response, band,
    # lock the grade with band and grader, insert the refused-save event, release savepoint;
    # calibration exemplars left for the TA, the double-marking share (the grade is someone else's)
    with django_assert_num_queries(11):
        reply = client.post(f"/grading/responses/{world.response.pk}/save/", data)
    assert reply.status_code == 409
