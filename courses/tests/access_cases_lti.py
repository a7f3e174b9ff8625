"""Access-matrix cases for LTI: the LMS-facing endpoints are public and refuse bad input with a 4xx;
the pages a launch leads to belong to the launch's session (404 for anyone else); the roster sync is
for the course's instructors; the setup page for superusers only.
"""

from courses.lti.models import LtiContext, LtiPlatform
from reflect_site.access import AccessCase

ANYONE = {}
SIGNED_IN = {"anonymous": 302}


def _context(world) -> None:
    platform = LtiPlatform.objects.create(
        name="LMS", issuer="https://lms.example.edu", client_id="c", deployment_ids="d",
        auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/token",
        key_set_url="https://lms.example.edu/jwks")
    world.lti_context = LtiContext.objects.create(platform=platform, context_id="ctx", deployment_id="d",
                                                  course=world.course)


def _roster(world) -> str:
    return f"/lti/courses/{world.course.slug}/contexts/{world.lti_context.pk}/roster/"


CASES: list[AccessCase] = [
    AccessCase("lti:jwks", lambda w: "/lti/jwks.json", ANYONE, default=200),
    AccessCase("lti:login", lambda w: "/lti/login/", ANYONE, default=400),
    AccessCase("lti:login", lambda w: "/lti/login/?iss=https://unknown.example&login_hint=x", ANYONE, default=403),
    AccessCase("lti:launch", lambda w: "/lti/launch/", ANYONE, method="post", data=lambda w: {}, default=400),
    AccessCase("lti:launch", lambda w: "/lti/launch/", ANYONE, default=405),
    AccessCase("lti:link_account", lambda w: "/lti/link-account/", ANYONE),
    AccessCase("lti:course_link", lambda w: "/lti/launches/lti1p3-launch-x/course/", SIGNED_IN),
    AccessCase("lti:deep_link", lambda w: "/lti/launches/lti1p3-launch-x/deep-link/", SIGNED_IN),
    # The test world's context has no Names and Roles service: the instructor is told so (409).
    AccessCase("lti:roster", _roster, {"anonymous": 302, "ta": 403, "instructor": 409}, setup=_context),
    AccessCase("lti:roster", _roster, {"anonymous": 302, "ta": 403, "instructor": 409}, method="post",
               data=lambda w: {"digest": "x"}, setup=_context),
    AccessCase("lti:setup", lambda w: "/lti/setup/", SIGNED_IN),
]
