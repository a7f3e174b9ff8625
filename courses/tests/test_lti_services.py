"""Deep linking and Names and Roles sync against the real test platform."""

from __future__ import annotations

import html
import re

import jwt
import pytest

from courses.lti.keys import jwks
from courses.lti.models import LtiContext, LtiIdentity
from courses.models import Enrollment, EnrollmentStatus, Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user
from courses.tests.lti_platform import INSTRUCTOR, LEARNER, launch, platform_running


@pytest.fixture
def lti_platform():
    yield from platform_running()


def _linked(platform):
    registered = platform.register()
    course = make_course("ml-systems", title="ML Systems")
    module = make_module(course, 1, slug="activations", title="Activations")
    question = make_question(module, 1)
    context = LtiContext.objects.create(platform=registered, context_id=platform.CONTEXT_ID,
                                        deployment_id=platform.DEPLOYMENT_ID, course=course,
                                        memberships_url=f"{platform.url}/memberships")
    prof = make_user("prof", email="grace@uni.edu")
    enroll(prof, course, Role.INSTRUCTOR)
    LtiIdentity.objects.create(issuer=platform.issuer, sub="prof-1", user=prof)
    return course, module, question, context, prof


@pytest.mark.django_db
def test_deep_linking_returns_a_signed_list_of_the_chosen_question(client, lti_platform):
    course, module, question, context, prof = _linked(lti_platform)
    lti_platform.tool_keys = jwks()

    def claims(nonce):
        return lti_platform.claims(sub="prof-1", roles=[INSTRUCTOR], nonce=nonce, message_type="LtiDeepLinkingRequest")

    response = launch(client, lti_platform, claims_for_nonce=claims)
    assert response.status_code == 302 and response["Location"].endswith("/deep-link/")
    picker = client.get(response["Location"])
    assert picker.status_code == 200 and str(question).encode() in picker.content
    refused = client.post(response["Location"], {})
    assert refused.status_code == 400
    answer = client.post(response["Location"], {"question": [str(question.pk)]})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f'action="{lti_platform.url}/deep-link-return"' in page
    assert "<script>" not in page  # the form is sent by static/js/lti-autosubmit.js, CSP allows no inline code
    assert f"form-action 'self' {lti_platform.url}" in answer["Content-Security-Policy"]
    token = html.unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))
    key = jwt.PyJWK(jwks()["keys"][0]).key
    body = jwt.decode(token, key, algorithms=["RS256"], audience=lti_platform.issuer)
    assert body["iss"] == lti_platform.CLIENT_ID
    assert body["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert body["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "dl-data"
    (item,) = body["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["custom"] == {"question": str(question.pk)}
    assert item["url"] == "http://testserver/lti/launch/"


@pytest.mark.django_db
def test_another_sessions_launch_is_not_found(client, lti_platform):
    *_, prof = _linked(lti_platform)
    client.force_login(prof)
    assert client.get("/lti/launches/lti1p3-launch-unknown/deep-link/").status_code == 404


def _members(platform):
    return [
        {"user_id": "prof-1", "roles": [INSTRUCTOR], "status": "Active", "email": "grace@uni.edu",
         "given_name": "Grace", "family_name": "Hopper"},
        {"user_id": "s-ada", "roles": [LEARNER], "status": "Active", "email": "ada@uni.edu",
         "given_name": "Ada", "family_name": "Lovelace"},
        {"user_id": "s-new", "roles": [LEARNER], "status": "Active", "email": "new@uni.edu",
         "given_name": "Alan", "family_name": "Turing"},
        {"user_id": "s-gone", "roles": [LEARNER], "status": "Inactive", "email": "gone@uni.edu"},
        {"user_id": "s-private", "roles": [LEARNER], "status": "Active", "name": "No Email"},
    ]


@pytest.mark.django_db
def test_a_roster_sync_previews_then_adds_and_drops_through_the_roster_plan(client, lti_platform):
    course, module, question, context, prof = _linked(lti_platform)
    lti_platform.tool_keys = jwks()
    lti_platform.members = _members(lti_platform)
    ada = make_user("ada", email="ada@uni.edu")
    left = make_user("left", email="left@uni.edu")
    enroll(left, course)
    client.force_login(prof)
    url = f"/lti/courses/{course.slug}/contexts/{context.pk}/roster/"
    preview = client.get(url)
    assert preview.status_code == 200
    assert Enrollment.objects.filter(course=course).count() == 2  # nothing written by the preview
    assert b"No Email: the LMS gives no e-mail address" in preview.content
    digest = preview.context["digest"]
    done = client.post(url, {"digest": digest})
    assert done.status_code == 302
    enrollments = {e.user.email: e for e in Enrollment.objects.filter(course=course).select_related("user")}
    assert set(enrollments) == {"grace@uni.edu", "ada@uni.edu", "new@uni.edu", "left@uni.edu"}
    assert enrollments["left@uni.edu"].status == EnrollmentStatus.DROPPED  # dropped, not deleted
    assert enrollments["ada@uni.edu"].user == ada and enrollments["new@uni.edu"].role == Role.STUDENT
    # The account the sync made is linked to its LMS identity; Ada's existing one waits for her sign-in.
    assert LtiIdentity.objects.get(sub="s-new").user.email == "new@uni.edu"
    assert not LtiIdentity.objects.filter(sub="s-ada").exists()
    assert len(lti_platform.recorded.token_requests) == 2


@pytest.mark.django_db
def test_a_stale_roster_preview_is_shown_again_not_applied(client, lti_platform):
    course, module, question, context, prof = _linked(lti_platform)
    lti_platform.tool_keys = jwks()
    lti_platform.members = _members(lti_platform)
    client.force_login(prof)
    url = f"/lti/courses/{course.slug}/contexts/{context.pk}/roster/"
    digest = client.get(url).context["digest"]
    lti_platform.members = lti_platform.members[:2]
    assert client.post(url, {"digest": digest}).status_code == 409
    assert not Enrollment.objects.filter(user__email="new@uni.edu").exists()


@pytest.mark.django_db
def test_a_platform_that_refuses_the_roster_is_reported(client, lti_platform):
    course, module, question, context, prof = _linked(lti_platform)
    lti_platform.tool_keys = {"keys": []}  # the platform doesn't know reflect's key: 401 at the token endpoint
    client.force_login(prof)
    response = client.get(f"/lti/courses/{course.slug}/contexts/{context.pk}/roster/")
    assert response.status_code == 502
    assert b"HTTP 401" in response.content


@pytest.mark.django_db(transaction=True)
def test_each_instructor_launch_syncs_the_roster_in_the_background(client, lti_platform, run_worker):
    course, module, question, context, prof = _linked(lti_platform)
    lti_platform.tool_keys = jwks()
    lti_platform.members = _members(lti_platform)

    def claims(nonce):
        return lti_platform.claims(sub="prof-1", roles=[INSTRUCTOR], nonce=nonce)

    assert launch(client, lti_platform, claims_for_nonce=claims).status_code == 302
    run_worker()
    assert Enrollment.objects.filter(course=course, user__email="new@uni.edu", role=Role.STUDENT).exists()
