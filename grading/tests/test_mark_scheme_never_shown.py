"""No mark scheme or other staff-only text reaches anything a student can open, before or after release."""

import json
import re

import pytest

from courses.models import Role
from courses.tests.factories import enroll, make_user
from grading.models import RegradeRequest
from grading.services import comment_add, grade_save, grades_flag_for_review
from grading.tests.helpers import band, release
from reflect_site.access import AccessCase
from reflect_site.tests.test_access_matrix import CASES

STAFF_ONLY = [
    "SECRET-MARK-SCHEME",  # every factory question's mark scheme
    "BANK-COMMENT-ONLY-STAFF",  # the comment bank
    "grader-zeta",  # who graded
    "REFUSED-FEEDBACK",  # a conflicting save that was never applied
    "REVIEW-REASON-ONLY-STAFF",  # why a grade was flagged
    "OTHER-STUDENTS-FEEDBACK",  # someone else's grade
]
LINK = re.compile(r'(?:href|action|src)="(/[^"#]*)"')
NOT_PAGES = ("/static/", "/accounts/logout/", "/admin/")


def _stage(world, released: bool) -> None:
    grader = make_user("grader-zeta")
    enroll(grader, world.course, Role.TA)
    comment_add(question=world.question, actor=grader, text="BANK-COMMENT-ONLY-STAFF")
    good = band(world.question, "GOOD").pk
    first = grade_save(response_id=world.response.pk, actor=grader, band_id=good, score=7, feedback="Fine.",
                       base_version=0)
    with pytest.raises(Exception):  # noqa: B017 - the refused save is the point; its class is tested elsewhere
        grade_save(response_id=world.response.pk, actor=world.ta, band_id=good, score=8,
                   feedback="REFUSED-FEEDBACK", base_version=0)
    grade_save(response_id=world.other_response.pk, actor=grader, band_id=good, score=8,
               feedback="OTHER-STUDENTS-FEEDBACK", base_version=0)
    grades_flag_for_review(question=world.question, actor=grader, reason="REVIEW-REASON-ONLY-STAFF")
    assert first.version == 1
    if released:
        release(world.question, world.instructor)
        RegradeRequest.objects.create(response=world.response, reason="Please look again.", score_before=7)


def _student_cases() -> list[AccessCase]:
    return [case for case in CASES if case.status_for("student") < 400]


def _crawl(client, world) -> dict[str, str]:
    """Every page and JSON the student reaches: the access-matrix requests, then every same-site link, followed."""
    seen: dict[str, str] = {}
    for case in _student_cases():
        if case.setup:  # it would change what is staged (a release, say); its page is reached by links
            continue
        kwargs = {"follow": True}
        if case.data:
            kwargs["data"] = case.data(world)
        if case.content_type:
            kwargs["content_type"] = case.content_type
        reply = getattr(client, case.method)(case.url(world), **kwargs)
        seen[f"{case.method} {case.url(world)}"] = reply.content.decode()
    queue = [url for body in seen.values() for url in LINK.findall(body)] + [world.response.get_absolute_url()]
    while queue:
        url = queue.pop()
        if url in seen or url.startswith(NOT_PAGES):
            continue
        reply = client.get(url, follow=True)
        body = reply.content.decode()
        seen[url] = body
        if reply.status_code == 200 and "json" not in reply.get("Content-Type", ""):
            queue.extend(LINK.findall(body))
        elif "json" in reply.get("Content-Type", ""):
            seen[url] = json.dumps(reply.json())
    return seen


@pytest.mark.parametrize("released", [False, True], ids=["before-release", "after-release"])
def test_no_staff_only_text_reaches_any_student_page_or_json(client, world, released):
    _stage(world, released)
    client.force_login(world.student)
    pages = _crawl(client, world)
    assert world.response.get_absolute_url() in pages
    assert len(pages) >= len([case for case in _student_cases() if not case.setup])
    for url, body in pages.items():
        for secret in STAFF_ONLY:
            assert secret not in body, f"{secret} reached the student at {url}"
    # The crawl really saw the student's grade (or its absence), so the check is not vacuous.
    response_page = pages[world.response.get_absolute_url()]
    assert ("7 / 10" in response_page) is released
    assert ("awaiting grading" in response_page) is not released


def test_grading_pages_do_show_the_mark_scheme_to_staff(client, world):
    client.force_login(world.ta)
    assert "SECRET-MARK-SCHEME" in client.get(f"/grading/responses/{world.response.pk}/").content.decode()
