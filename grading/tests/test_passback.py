"""Grade passback to the test platform: released scores, withdrawals, retries and the passback page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courses.lti.keys import jwks
from courses.lti.models import LineItemsPer, LtiContext, LtiIdentity
from courses.models import LatePolicy, Question, Response
from courses.tests.lti_platform import platform_running
from grading.models import LineItem, PassbackStatus, ScorePost
from grading.passback import passback_question_send
from grading.tests.helpers import grade

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lti_platform():
    yield from platform_running()


@pytest.fixture
def lms(world, lti_platform, settings):
    """The world's course linked to the test platform; both students have LMS identities."""
    settings.LTI_PASSBACK_RETRY_SECONDS = 0
    registered = lti_platform.register()
    context = LtiContext.objects.create(
        platform=registered, context_id=lti_platform.CONTEXT_ID, deployment_id=lti_platform.DEPLOYMENT_ID,
        course=world.course, lineitems_url=f"{lti_platform.url}/lineitems",
        ags_scopes=["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    for sub, user in (("sub-student", world.student), ("sub-other", world.other_student)):
        LtiIdentity.objects.create(issuer=lti_platform.issuer, sub=sub, user=user)
    lti_platform.tool_keys = jwks()
    grade(world.response, world.ta, score=9)
    grade(world.other_response, world.ta, score=7, label="GOOD")
    return world, lti_platform, context


def _release(client, world, action="release"):
    client.force_login(world.instructor)
    response = client.post(f"/grading/questions/{world.question.pk}/release/confirm/",
                           {"action": action, "confirm": "1"})
    assert response.status_code == 302, response.content[:300]


def test_release_posts_exactly_one_score_per_student_per_line_item(client, lms, run_worker):
    world, platform, context = lms
    _release(client, world)
    run_worker()
    (item,) = platform.recorded.line_items
    assert item["tag"] == f"reflect-question-{world.question.pk}" and item["scoreMaximum"] == 10
    scores = {body["userId"]: body for _url, body in platform.recorded.scores}
    assert len(platform.recorded.scores) == 2
    assert {u: s["scoreGiven"] for u, s in scores.items()} == {"sub-student": 9, "sub-other": 7}
    for body in scores.values():
        assert body["scoreMaximum"] == 10 and body["activityProgress"] == "Submitted"
        assert body["gradingProgress"] == "FullyGraded" and body["timestamp"]
    assert {p.status for p in ScorePost.objects.all()} == {PassbackStatus.SENT}
    # Running the passback again, or releasing again, posts nothing twice and makes no second column.
    passback_question_send.enqueue(question_id=world.question.pk)
    run_worker()
    _release(client, world)
    run_worker()
    assert len(platform.recorded.scores) == 2 and len(platform.recorded.line_items) == 1
    assert LineItem.objects.count() == 1


def test_the_score_sent_is_after_the_late_penalty(client, lms, run_worker):
    world, platform, context = lms
    Question.objects.filter(pk=world.question.pk).update(late_policy=LatePolicy.PENALTY, late_penalty_per_day=10)
    Response.objects.filter(pk=world.response.pk).update(is_late=True, late_seconds=3600)
    _release(client, world)
    run_worker()
    scores = {body["userId"]: body["scoreGiven"] for _url, body in platform.recorded.scores}
    assert scores == {"sub-student": 8.1, "sub-other": 7}


def test_withdrawing_a_release_posts_the_withdrawal(client, lms, run_worker):
    world, platform, context = lms
    _release(client, world)
    run_worker()
    _release(client, world, action="withdraw")
    run_worker()
    withdrawals = [body for _url, body in platform.recorded.scores[2:]]
    assert len(withdrawals) == 2
    assert all("scoreGiven" not in body and body["gradingProgress"] == "NotReady" for body in withdrawals)
    assert not ScorePost.objects.filter(released=True).exists()


def test_one_column_per_module_when_the_instructor_chose_so(client, lms, run_worker):
    world, platform, context = lms
    LtiContext.objects.filter(pk=context.pk).update(line_items_per=LineItemsPer.MODULE)
    _release(client, world)
    run_worker()
    (item,) = platform.recorded.line_items
    assert item["tag"] == f"reflect-module-{world.module.pk}"
    assert len(platform.recorded.scores) == 2


def test_a_500_is_retried_and_then_the_score_arrives(client, lms, run_worker):
    world, platform, context = lms
    platform.fail_scores = 1
    _release(client, world)
    run_worker()
    assert len(platform.recorded.failed_scores) == 1 and len(platform.recorded.scores) == 2
    retried = ScorePost.objects.get(attempts=2)
    assert retried.status == PassbackStatus.SENT and retried.last_error == ""


def test_a_platform_that_keeps_failing_is_shown_on_the_passback_page_and_can_be_resent(
        client, lms, run_worker, settings):
    world, platform, context = lms
    settings.LTI_PASSBACK_MAX_ATTEMPTS = 3
    platform.fail_scores = 100
    _release(client, world)
    run_worker()
    assert len(platform.recorded.failed_scores) == 6  # 2 students × 3 attempts
    assert {p.status for p in ScorePost.objects.all()} == {PassbackStatus.GAVE_UP}
    page = client.get(f"/grading/{world.course.slug}/passback/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "HTTP 500: The gradebook is down for maintenance" in text and "Failed for good" in text
    platform.fail_scores = 0
    post = ScorePost.objects.get(student=world.student)
    resend = client.post(f"/grading/{world.course.slug}/passback/{post.pk}/resend/")
    assert resend.status_code == 302
    run_worker()
    post.refresh_from_db()
    assert post.status == PassbackStatus.SENT and post.attempts == 1
    assert [body["userId"] for _url, body in platform.recorded.scores] == ["sub-student"]


def test_a_student_without_an_lms_identity_is_accounted_for(client, lms, run_worker):
    world, platform, context = lms
    LtiIdentity.objects.filter(user=world.other_student).delete()
    _release(client, world)
    run_worker()
    post = ScorePost.objects.get(student=world.other_student)
    assert post.status == PassbackStatus.NO_LMS_ACCOUNT and post.score_given == Decimal("7.00")
    assert len(platform.recorded.scores) == 1
    assert "without an LMS identity" in client.get(f"/grading/{world.course.slug}/passback/").content.decode()
    # Their first launch links the identity, and the score that waited goes out.
    LtiIdentity.objects.create(issuer=platform.issuer, sub="sub-other", user=world.other_student)
    run_worker()
    post.refresh_from_db()
    assert post.status == PassbackStatus.SENT
    assert [body["userId"] for _url, body in platform.recorded.scores] == ["sub-student", "sub-other"]


def test_a_ta_reads_the_passback_page_but_may_not_resend(client, lms, run_worker):
    world, platform, context = lms
    _release(client, world)
    run_worker()
    client.force_login(world.ta)
    assert client.get(f"/grading/{world.course.slug}/passback/").status_code == 200
    post = ScorePost.objects.first()
    assert client.post(f"/grading/{world.course.slug}/passback/{post.pk}/resend/").status_code == 403


def test_a_grade_changed_after_release_reaches_the_lms(client, lms, run_worker):
    world, platform, context = lms
    _release(client, world)
    run_worker()
    grade(world.response, world.instructor, score=10)
    run_worker()
    assert len(platform.recorded.scores) == 3
    _url, body = platform.recorded.scores[-1]
    assert (body["userId"], body["scoreGiven"]) == ("sub-student", 10)


def test_a_refused_grade_column_is_shown_and_retried(client, lms, run_worker, settings):
    world, platform, context = lms
    settings.LTI_PASSBACK_MAX_ATTEMPTS = 2
    platform.fail_line_items = 2
    _release(client, world)
    run_worker()
    assert platform.recorded.scores == [] and not LineItem.objects.exists()
    page = client.get(f"/grading/{world.course.slug}/passback/").content.decode()
    assert "(attempt 2): HTTP 500: Line items are read-only right now" in page
    # The next release (or a regrade) tries again once the platform is back, and clears the error.
    _release(client, world, action="withdraw")
    _release(client, world)
    run_worker()
    assert len(platform.recorded.scores) == 2
    context.refresh_from_db()
    assert context.last_error == ""


def test_a_grade_column_refused_once_is_retried_until_it_exists(client, lms, run_worker):
    world, platform, context = lms
    platform.fail_line_items = 1
    _release(client, world)
    run_worker()
    assert len(platform.recorded.line_items) == 1 and len(platform.recorded.scores) == 2
