"""The course grading overview: modules → questions with progress and release state."""

import re

from courses.models import Response
from courses.tests.factories import make_module, make_question, make_response, make_user
from grading.models import RegradeRequest
from grading.tests.helpers import grade, release


def _row(page: str, question) -> list[str]:
    row = page[page.index(f"/grading/questions/{question.pk}/\">"):]
    row = row[: row.index("</tr>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<td class="num">(.*?)</td>', row, re.S)]


def test_the_overview_counts_graded_submitted_students_late_flagged_and_regrades(client, world):
    late = make_response(make_user("late"), world.question, is_late=True)
    make_response(make_user("drafter"), world.question, submitted=False)
    grade(world.response, world.ta)
    grade(late, world.ta)
    Response.objects.filter(pk=late.pk).update(submission_count=2)
    RegradeRequest.objects.create(response=world.response, reason="Again?")
    second = make_question(make_module(world.course, 2, slug="losses"), 1)
    client.force_login(world.ta)
    page = client.get(f"/grading/{world.course.slug}/").content.decode()
    # graded, submitted, students, late, flagged, regrades open
    assert _row(page, world.question) == ["2", "3", "2", "1", "1", "1"]
    assert _row(page, second) == ["0", "0", "2", "0", "0", "0"]


def test_the_overview_shows_release_state_and_only_instructors_get_the_buttons(client, world):
    release(world.question, world.instructor)
    client.force_login(world.instructor)
    page = client.get(f"/grading/{world.course.slug}/").content.decode()
    assert "Release module" in page and "Withdraw" in page and 'badge ok">released' in page
    client.force_login(world.ta)
    page = client.get(f"/grading/{world.course.slug}/").content.decode()
    assert 'badge ok">released' in page and "Release module" not in page and "Withdraw" not in page


def test_the_flagged_query_and_the_grading_pages_test_agree_on_every_grade(world):
    from grading.models import Grade

    resubmitted = make_response(make_user("resubmitted"), world.question)
    reviewed = make_response(make_user("reviewed"), world.question)
    plain = make_response(make_user("plain"), world.question)
    for response in (resubmitted, reviewed, plain):
        grade(response, world.ta)
    Response.objects.filter(pk=resubmitted.pk).update(submission_count=2)
    Grade.objects.filter(response=reviewed).update(needs_review=True)
    responses = Response.objects.filter(grade__isnull=False).select_related("grade")
    by_query = set(responses.filter(Grade.flagged_q()).values_list("pk", flat=True))
    in_memory = {r.pk for r in responses if r.grade.is_flagged(r)}
    assert by_query == in_memory == {resubmitted.pk, reviewed.pk}
