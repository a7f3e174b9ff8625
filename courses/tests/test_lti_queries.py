"""The LTI pages a launch leads to run a fixed number of SQL queries, whatever the course's size."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.lti.models import LtiContext, LtiLaunchValue, LtiPlatform
from courses.models import Role
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LAUNCH_ID = "lti1p3-launch-counted"


@pytest.mark.django_db
@pytest.mark.parametrize("modules", [2, 20])
def test_the_deep_linking_picker_query_count_does_not_grow(client, modules, django_assert_num_queries):
    course = make_course("big")
    for m in range(1, modules + 1):
        module = make_module(course, m, slug=f"m{m}")
        for q in range(1, 6):
            make_question(module, q)
    platform = LtiPlatform.objects.create(
        name="LMS", issuer="https://lms.example.edu", client_id="c", deployment_ids="d",
        auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/token",
        key_set_url="https://lms.example.edu/jwks")
    LtiContext.objects.create(platform=platform, context_id="ctx", deployment_id="d", course=course)
    LtiLaunchValue.objects.create(key=LAUNCH_ID, expires_at=timezone.now() + timedelta(hours=1), value={
        "iss": platform.issuer, "aud": "c", CLAIM + "message_type": "LtiDeepLinkingRequest",
        CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        CLAIM + "context": {"id": "ctx"}})
    prof = make_user("prof")
    enroll(prof, course, Role.INSTRUCTOR)
    client.force_login(prof)
    session = client.session
    session["lti"] = {"origins": [platform.issuer], "launches": [LAUNCH_ID]}
    session.save()
    # session, user, the launch's claims, the platform, the context with its course, modules, their questions
    with django_assert_num_queries(7):
        page = client.get(f"/lti/launches/{LAUNCH_ID}/deep-link/")
    assert page.status_code == 200
    assert page.content.decode().count('name="question"') == modules * 5
