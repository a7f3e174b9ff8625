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
