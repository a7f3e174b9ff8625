"""The test platform against the demo course: the instructor links it, its roster syncs, a student lands in it,
and every released grade reaches the LMS."""

from __future__ import annotations

import pytest

from courses.lti.keys import jwks
from courses.lti.models import LtiContext, LtiIdentity, LtiResourceLink
from courses.models import Course, Enrollment, Question, Response, Role
from courses.tests.lti_platform import INSTRUCTOR, LEARNER, launch, platform_running
from grading.models import Grade, PassbackStatus, ScorePost
from grading.services import grade_save

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lti_platform():
    yield from platform_running()


def test_the_platform_launches_into_the_demo_course_syncs_it_and_receives_every_released_grade(
        client, demo, lti_platform, run_worker):
    lti_platform.register()
    lti_platform.tool_keys = jwks()
    course = Course.objects.get(slug="tinytorch")
    lti_platform.members = [
        {"user_id": f"lms-{u}", "roles": [INSTRUCTOR if u == "instructor" else LEARNER], "status": "Active",
         "email": f"{u}@example.edu"} for u in ("instructor", "student1", "student2", "student3", "student4")]

    # The instructor's first launch: her reflect account is linked once she signs in, then she links the course.
    def prof(nonce):
        return lti_platform.claims(sub="lms-instructor", roles=[INSTRUCTOR], nonce=nonce,
                                   email="instructor@example.edu", name="Fei-Fei Li")

    assert launch(client, lti_platform, claims_for_nonce=prof)["Location"] == "/lti/link-account/"
    client.force_login(demo["instructor"])
    course_page = client.post("/lti/link-account/")["Location"]
    done = client.post(course_page, {"course": str(course.pk), "line_items_per": "question"})
    assert done["Location"] == course.get_absolute_url()
    assert LtiContext.objects.get().course == course
    run_worker()  # the launch's roster sync: everyone is already there, nobody is dropped
    assert Enrollment.objects.filter(course=course, status="active").count() == 7  # TAs are staff, never dropped

    # A student launches a link placed for a question and lands on it.
    question = Question.objects.filter(module__course=course, module__slug="activations").first()
    LtiResourceLink.objects.create(context=LtiContext.objects.get(), resource_link_id="link-q", question=question)
    LtiIdentity.objects.create(issuer=lti_platform.issuer, sub="lms-student1", user=demo["student1"])
    student = client.__class__()

    def ada(nonce):
        return lti_platform.claims(sub="lms-student1", roles=[LEARNER], nonce=nonce, email="student1@example.edu",
                                   resource_link="link-q")

    assert launch(student, lti_platform, claims_for_nonce=ada)["Location"] == question.get_absolute_url()
    assert student.get(question.get_absolute_url()).status_code == 200

    # Every released grade of the demo reaches the LMS: one score per graded student and question.
    for sub, username in [(f"lms-student{n}", f"student{n}") for n in (2, 3, 4)]:
        LtiIdentity.objects.get_or_create(issuer=lti_platform.issuer, sub=sub, user=demo[username])
    for response in Response.objects.filter(question__module__course=course, status="submitted"):
        top = response.question.bands.first()
        grade_save(response_id=response.pk, actor=demo["ta1"], band_id=top.pk, score=top.max_points,
                   feedback="Good.", base_version=0)
    graded = set(Grade.objects.filter(response__question__module__course=course)
                 .values_list("response__question_id", flat=True))
    for question_id in graded:
        assert client.post(f"/grading/questions/{question_id}/release/confirm/",
                           {"action": "release", "confirm": "1"}).status_code == 302
    run_worker()
    expected = Grade.objects.filter(response__question__module__course=course).count()
    assert expected > 0
    assert len(lti_platform.recorded.scores) == ScorePost.objects.count() == expected
    assert set(ScorePost.objects.values_list("status", flat=True)) == {PassbackStatus.SENT}
    assert len(lti_platform.recorded.line_items) == len(graded)
    assert Enrollment.objects.get(user=demo["instructor"], course=course).role == Role.INSTRUCTOR
