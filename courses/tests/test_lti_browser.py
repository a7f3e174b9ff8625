"""In Chromium: the test platform's course page frames reflect; the student goes through the OIDC login and the
launch inside the frame and lands on the linked question, signed in, with no CSP violation."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from courses.lti.models import LtiContext, LtiResourceLink
from courses.tests.factories import make_course, make_module, make_question
from courses.tests.lti_platform import LEARNER, platform_running

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lti_platform():
    # "localhost", like the live server: the frame and reflect are the same site, as a real LMS and a tool
    # on one university domain would be; cross-site frames need HTTPS for SameSite=None cookies.
    yield from platform_running("localhost")


def test_a_student_launches_inside_the_lms_frame_and_lands_signed_in(page, live_server, lti_platform):
    registered = lti_platform.register()
    course = make_course("ml-systems", title="ML Systems")
    module = make_module(course, 1, slug="activations", title="Activations")
    question = make_question(module, 1, title="Why softmax costs more")
    context = LtiContext.objects.create(platform=registered, context_id=lti_platform.CONTEXT_ID,
                                        deployment_id=lti_platform.DEPLOYMENT_ID, course=course)
    LtiResourceLink.objects.create(context=context, resource_link_id="link-1", question=question)
    lti_platform.auth_claims = lti_platform.claims(sub="student-9", roles=[LEARNER], nonce="", email="ada@uni.edu",
                                                   name="Ada Lovelace")
    params = {**lti_platform.login_params(), "target_link_uri": f"{live_server.url}/lti/launch/"}
    lti_platform.tool_login_url = f"{live_server.url}/lti/login/?{urlencode(params)}"
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to frame" in message.text else None)

    page.goto(f"{lti_platform.url}/course")
    frame = page.frame_locator("#tool")
    expect(frame.locator("h1")).to_have_text("Q1. Why softmax costs more")
    expect(frame.locator(".site-header")).to_contain_text("Log out ada")
    assert violations == []
