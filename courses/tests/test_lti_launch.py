"""LTI 1.3 launches from a real platform (courses/tests/lti_platform.py): the happy paths and every refusal."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from courses.lti.models import LtiContext, LtiIdentity, LtiLaunchValue, LtiResourceLink
from courses.models import Enrollment, Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user
from courses.tests.lti_platform import INSTRUCTOR, LEARNER, _key_pair, launch, platform_running

pytestmark = pytest.mark.django_db


@pytest.fixture
def lti_platform():
    yield from platform_running()


@pytest.fixture
def linked(lti_platform):
    """A registered platform whose course is linked to a reflect course with one question."""
    platform = lti_platform.register()
    course = make_course("ml-systems", title="ML Systems")
    module = make_module(course, 1, slug="activations", title="Activations")
    question = make_question(module, 1)
    context = LtiContext.objects.create(platform=platform, context_id=lti_platform.CONTEXT_ID,
                                        deployment_id=lti_platform.DEPLOYMENT_ID, course=course)
    return lti_platform, course, question, context


def _student_claims(platform, **extra):
    return lambda nonce: platform.claims(sub="student-1", roles=[LEARNER], nonce=nonce, email="ada@uni.edu",
                                         name="Ada Lovelace", **extra)


def test_a_student_launch_lands_signed_in_on_the_linked_question(client, linked):
    platform, course, question, context = linked
    LtiResourceLink.objects.create(context=context, resource_link_id="link-1", question=question)
    response = launch(client, platform, claims_for_nonce=_student_claims(platform))
    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    page = client.get(response["Location"])
    assert page.status_code == 200
    user = get_user_model().objects.get(lti_identities__sub="student-1")
    assert (user.first_name, user.last_name, user.email) == ("Ada", "Lovelace", "ada@uni.edu")
    assert Enrollment.objects.get(user=user, course=course).role == Role.STUDENT
    # Framed only by the launch's platform; an ordinary page keeps 'none'.
    assert f"frame-ancestors 'self' {platform.url}" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    # The session and CSRF cookies stay SameSite=Lax over plain HTTP; None needs Secure (HTTPS).
    assert client.cookies["sessionid"]["samesite"] == "Lax"


def test_an_ordinary_session_is_never_framed(client, world):
    client.force_login(world.student)
    page = client.get(world.question.get_absolute_url())
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


def test_over_https_an_lti_session_gets_cookies_that_work_in_a_third_party_frame(client, linked):
    platform, course, question, context = linked
    response = client.post("/lti/login/", platform.login_params())
    query = parse_qs(urlsplit(response["Location"]).query)
    token = platform.id_token(_student_claims(platform)(query["nonce"][0]))
    launched = client.post("/lti/launch/", {"id_token": token, "state": query["state"][0]}, secure=True)
    assert launched.status_code == 302
    cookie = launched.cookies["sessionid"]
    assert cookie["samesite"] == "None" and cookie["secure"]


def test_a_link_placed_by_deep_linking_finds_its_question_from_the_custom_claim(client, linked):
    platform, course, question, context = linked
    response = launch(client, platform, claims_for_nonce=_student_claims(
        platform, custom={"question": str(question.pk)}, resource_link="link-new"))
    assert response["Location"] == question.get_absolute_url()
    assert LtiResourceLink.objects.get(resource_link_id="link-new").question == question


def test_an_instructor_launch_creates_and_links_the_course(client, lti_platform):
    lti_platform.register()
    claims = lambda nonce: lti_platform.claims(sub="prof-1", roles=[INSTRUCTOR], nonce=nonce,  # noqa: E731
                                               email="grace@uni.edu", name="Grace Hopper")
    response = launch(client, lti_platform, claims_for_nonce=claims)
    assert response.status_code == 302 and "/course/" in response["Location"]
    assert client.get(response["Location"]).status_code == 200
    linked = client.post(response["Location"], {"course": "new", "line_items_per": "module"})
    context = LtiContext.objects.get(context_id=lti_platform.CONTEXT_ID)
    assert context.course.title == "Machine Learning Systems"
    assert context.line_items_per == "module"
    assert Enrollment.objects.get(course=context.course).role == Role.INSTRUCTOR
    assert linked["Location"] == context.course.get_absolute_url()


def test_an_instructor_may_link_one_of_their_own_courses_only(client, lti_platform):
    lti_platform.register()
    own, other = make_course("own"), make_course("not-mine")
    prof = make_user("prof", email="grace@uni.edu")
    enroll(prof, own, Role.INSTRUCTOR)
    LtiIdentity.objects.create(issuer=lti_platform.issuer, sub="prof-1", user=prof)
    claims = lambda nonce: lti_platform.claims(sub="prof-1", roles=[INSTRUCTOR], nonce=nonce)  # noqa: E731
    response = launch(client, lti_platform, claims_for_nonce=claims)
    refused = client.post(response["Location"], {"course": str(other.pk), "line_items_per": "question"})
    assert refused.status_code == 400
    assert LtiContext.objects.get().course is None
    client.post(response["Location"], {"course": str(own.pk), "line_items_per": "question"})
    assert LtiContext.objects.get().course == own


def test_a_student_before_the_course_is_set_up_is_told_so(client, lti_platform):
    lti_platform.register()
    response = launch(client, lti_platform, claims_for_nonce=_student_claims(lti_platform))
    assert response.status_code == 409
    assert b"hasn&#x27;t set this course up" in response.content


def test_an_existing_account_is_linked_only_after_its_owner_signs_in(client, linked):
    platform, course, question, context = linked
    owner = make_user("ada", email="Ada@uni.edu")
    response = launch(client, platform, claims_for_nonce=_student_claims(platform))
    assert response["Location"] == "/lti/link-account/"
    assert not LtiIdentity.objects.exists()
    page = client.get("/lti/link-account/")
    assert b"Sign in to link it" in page.content
    client.force_login(owner)
    assert client.get("/lti/link-account/").status_code == 200
    done = client.post("/lti/link-account/")
    assert LtiIdentity.objects.get().user == owner
    assert done.status_code == 302
    assert Enrollment.objects.filter(user=owner, course=course).exists()


def test_a_signed_in_stranger_cannot_take_the_pending_link(client, linked):
    platform, *_ = linked
    make_user("ada", email="ada@uni.edu")
    launch(client, platform, claims_for_nonce=_student_claims(platform))
    client.force_login(make_user("mallory", email="mallory@uni.edu"))
    assert client.post("/lti/link-account/").status_code == 403
    assert not LtiIdentity.objects.exists()


def test_the_jwks_publishes_the_signing_key_and_keeps_rotated_ones_until_retired(client):
    from courses.lti.keys import key_retire, key_rotate, signing_key

    first = signing_key().kid
    second = key_rotate()
    kids = [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
    assert kids == [second.kid, first]
    from courses.lti.models import LtiKey

    key_retire(key=LtiKey.objects.get(kid=first))
    assert [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]] == [second.kid]
    assert LtiKey.objects.get(kid=first).private_pem_encrypted.startswith("gAAAA")  # Fernet, not PEM


# Refusals: each a clear 4xx page, and nothing created -----------------------------------------------------------


def _nothing_created() -> None:
    assert not get_user_model().objects.filter(lti_identities__isnull=False).exists()
    assert not LtiIdentity.objects.exists()
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("case, status, message", [
    ("bad_signature", 401, b"signature doesn"),
    ("expired", 401, b"expired"),
    ("wrong_audience", 403, b"isn&#x27;t registered"),
    ("unknown_deployment", 403, b"deployment isn"),
    ("missing_sub", 400, b"no subject"),
    ("missing_roles", 400, b"your role"),
    ("missing_context", 400, b"which course"),
    ("observer", 403, b"none of these"),
])
def test_a_bad_launch_is_refused_and_creates_nothing(client, linked, case, status, message):
    platform, *_ = linked
    kwargs = {}
    def claims(nonce):
        body = platform.claims(sub="student-1", roles=[LEARNER], nonce=nonce, email="ada@uni.edu")
        if case == "expired":
            body["exp"], body["iat"] = int(time.time()) - 60, int(time.time()) - 400
        elif case == "wrong_audience":
            body["aud"] = "another-tool"
        elif case == "unknown_deployment":
            body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "deployment-x"
        elif case == "missing_sub":
            del body["sub"]
        elif case == "missing_roles":
            del body["https://purl.imsglobal.org/spec/lti/claim/roles"]
        elif case == "missing_context":
            del body["https://purl.imsglobal.org/spec/lti/claim/context"]
        elif case == "observer":
            body["https://purl.imsglobal.org/spec/lti/claim/roles"] = [
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]
        return body
    if case == "bad_signature":
        kwargs["key_pem"] = _key_pair()[0]  # signed by someone else under the platform's kid
    Enrollment.objects.all().delete()
    response = launch(client, platform, claims_for_nonce=claims, **kwargs)
    assert response.status_code == status, response.content[:400]
    assert message in response.content
    _nothing_created()


def test_an_audience_listing_this_tool_without_naming_it_the_authorized_party_is_refused(client, linked):
    platform, *_ = linked
    def claims(nonce):
        return {**platform.claims(sub="s", roles=[LEARNER], nonce=nonce), "aud": [platform.CLIENT_ID, "other"]}
    response = launch(client, platform, claims_for_nonce=claims)
    assert response.status_code == 401
    _nothing_created()


def test_a_replayed_launch_is_refused(client, linked):
    platform, *_ = linked
    response = client.post("/lti/login/", platform.login_params())
    query = parse_qs(urlsplit(response["Location"]).query)
    token = platform.id_token(_student_claims(platform)(query["nonce"][0]))
    first = client.post("/lti/launch/", {"id_token": token, "state": query["state"][0]})
    assert first.status_code == 302
    client.logout()
    replay = client.post("/lti/launch/", {"id_token": token, "state": query["state"][0]})
    assert replay.status_code == 401
    assert b"already used" in replay.content


def test_a_student_may_not_deep_link(client, linked):
    platform, *_ = linked
    def claims(nonce):
        return platform.claims(sub="student-1", roles=[LEARNER], nonce=nonce, message_type="LtiDeepLinkingRequest")
    Enrollment.objects.all().delete()
    response = launch(client, platform, claims_for_nonce=claims)
    assert response.status_code == 403
    assert b"Only instructors" in response.content
    _nothing_created()


def test_an_unknown_platform_is_refused_at_login(client, lti_platform):
    response = client.post("/lti/login/", lti_platform.login_params())
    assert response.status_code == 403
    assert b"isn&#x27;t registered" in response.content


def test_a_launch_without_its_state_cookie_offers_a_new_window(client, linked):
    platform, *_ = linked
    response = client.post("/lti/login/", platform.login_params())
    query = parse_qs(urlsplit(response["Location"]).query)
    client.cookies.clear()  # what a browser blocking third-party cookies sends
    token = platform.id_token(_student_claims(platform)(query["nonce"][0]))
    blocked = client.post("/lti/launch/", {"id_token": token, "state": query["state"][0]})
    assert blocked.status_code == 401
    assert b"Open reflect in a new window" in blocked.content
    assert b"lti1p3_new_window=1" in blocked.content
    assert not LtiLaunchValue.objects.filter(key__startswith="lti1p3-launch-").exists()


def test_expired_launch_state_is_purged_by_the_periodic_task(client, linked):
    from datetime import timedelta

    from django.utils import timezone

    from courses.lti.tasks import lti_launch_values_purge

    platform, *_ = linked
    client.post("/lti/login/", platform.login_params())
    assert LtiLaunchValue.objects.count() == 2  # the nonce and the login's parameters
    assert lti_launch_values_purge.call() == 0
    LtiLaunchValue.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert lti_launch_values_purge.call() == 2


@pytest.mark.parametrize("roles, expected", [
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], Role.STUDENT),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], Role.INSTRUCTOR),
    # Canvas gives a TA both; the TA wins.
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
      "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], Role.TA),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], Role.INSTRUCTOR),
    (["Learner"], Role.STUDENT),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"], None),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], None),
    ([], None),
])
def test_lti_roles_map_to_reflect_roles(roles, expected):
    from courses.lti.launch import role_from_claims

    assert role_from_claims(roles) == expected


def test_login_state_lives_as_long_as_the_setting_says(client, linked, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.LTI_LAUNCH_DATA_SECONDS = 600
    platform, *_ = linked
    client.post("/lti/login/", platform.login_params())
    latest = max(LtiLaunchValue.objects.values_list("expires_at", flat=True))
    assert latest <= timezone.now() + timedelta(seconds=601)


def test_service_urls_outside_the_platforms_registered_hosts_are_ignored(client, linked):
    platform, course, question, context = linked

    def claims(nonce):
        body = _student_claims(platform)(nonce)
        body["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
            "context_memberships_url": "http://169.254.169.254/latest/meta-data"}
        return body

    assert launch(client, platform, claims_for_nonce=claims).status_code == 302
    context.refresh_from_db()
    assert context.memberships_url == ""
    assert context.lineitems_url == f"{platform.url}/lineitems"
