"""The passback page runs a fixed number of SQL queries, whatever the class size."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from courses.lti.models import LtiContext, LtiPlatform
from courses.models import Enrollment, Role
from courses.tests.factories import make_question
from grading.models import LineItem, PassbackStatus, ScorePost

User = get_user_model()


def _populate(world, students: int) -> None:
    """`students` students with a score in each of three LMS columns, in every status."""
    platform = LtiPlatform.objects.create(
        name="LMS", issuer="https://lms.example.edu", client_id="c", deployment_ids="d",
        auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/token",
        key_set_url="https://lms.example.edu/jwks")
    context = LtiContext.objects.create(platform=platform, context_id="ctx", deployment_id="d", course=world.course)
    questions = [world.question, make_question(world.module, 2), make_question(world.module, 3)]
    items = [LineItem.objects.create(context=context, question=q, url=f"https://lms.example.edu/li/{q.pk}",
                                     tag=f"reflect-question-{q.pk}", label=str(q), score_maximum=10)
             for q in questions]
    users = User.objects.bulk_create(User(username=f"bulk{i:05d}", email=f"bulk{i}@example.edu")
                                     for i in range(students))
    Enrollment.objects.bulk_create(Enrollment(user=u, course=world.course, role=Role.STUDENT) for u in users)
    statuses = PassbackStatus.values
    ScorePost.objects.bulk_create(
        ScorePost(line_item=item, student=u, score_given=Decimal(i % 11), score_maximum=10,
                  activity_progress="Submitted", grading_progress="FullyGraded", status=statuses[i % len(statuses)],
                  last_error="HTTP 500: down" if statuses[i % len(statuses)] == "failed" else "")
        for i, u in enumerate(users) for item in items)


@pytest.mark.django_db
@pytest.mark.parametrize("students", [10, 500])
def test_the_passback_page_query_count_does_not_grow(client, world, students, django_assert_num_queries):
    _populate(world, students)
    client.force_login(world.instructor)
    # session, user, course via staff enrollment, paginator count, one page of posts with student and
    # column, the totals by status, the linked LMS courses with their platform
    with django_assert_num_queries(7):
        page = client.get(f"/grading/{world.course.slug}/passback/")
    assert page.status_code == 200
    assert page.content.decode().count('class="passback-') == min(100, students * 3)
