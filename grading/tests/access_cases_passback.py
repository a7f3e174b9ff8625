"""Access-matrix cases for the LMS passback page: the course's staff read it, instructors resend."""

from decimal import Decimal

from courses.lti.models import LtiContext, LtiPlatform
from grading.models import LineItem, ScorePost
from reflect_site.access import AccessCase


def _post(world) -> None:
    platform = LtiPlatform.objects.create(
        name="LMS", issuer="https://lms.example.edu", client_id="c", deployment_ids="d",
        auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/token",
        key_set_url="https://lms.example.edu/jwks")
    context = LtiContext.objects.create(platform=platform, context_id="ctx", deployment_id="d", course=world.course)
    item = LineItem.objects.create(context=context, question=world.question, url="https://lms.example.edu/li/1",
                                   tag=f"reflect-question-{world.question.pk}", label="Q1", score_maximum=10)
    world.score_post = ScorePost.objects.create(
        line_item=item, student=world.student, score_given=Decimal(9), score_maximum=10,
        activity_progress="Submitted", grading_progress="FullyGraded", status="gave_up")


CASES: list[AccessCase] = [
    AccessCase("grading:passback", lambda w: f"/grading/{w.course.slug}/passback/",
               {"anonymous": 302, "ta": 200, "instructor": 200}),
    AccessCase("grading:passback", lambda w: f"/grading/{w.other_course.slug}/passback/",
               {"anonymous": 302, "other_ta": 200}),
    AccessCase("grading:passback_resend", lambda w: f"/grading/{w.course.slug}/passback/{w.score_post.pk}/resend/",
               {"anonymous": 302, "ta": 403, "instructor": 302}, method="post", setup=_post),
    AccessCase("grading:passback_resend",
               lambda w: f"/grading/{w.other_course.slug}/passback/{w.score_post.pk}/resend/",
               {"anonymous": 302, "other_ta": 403}, method="post", setup=_post),
]
