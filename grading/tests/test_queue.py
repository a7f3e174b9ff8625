"""The per-question queue: submitted responses only, in a stable pseudonym order, with its filters."""

from courses.models import Response
from courses.tests.factories import make_response, make_user
from grading.models import RegradeRequest
from grading.services import grades_flag_for_review
from grading.tests.helpers import grade
from grading.views import QUEUE_PAGE_SIZE


def _listed(client, world, which: str = "all") -> list[str]:
    page = client.get(f"/grading/questions/{world.question.pk}/?filter={which}").content.decode()
    everyone = Response.objects.filter(question=world.question)
    return [r.display_pseudonym for r in everyone if r.display_pseudonym in page]


def _setup(world):
    """Five responses: graded by ta, graded by instructor, late, resubmitted after grading, with a regrade."""
    late = make_response(make_user("late"), world.question, is_late=True)
    resubmitted = make_response(make_user("resub"), world.question)
    asked = make_response(make_user("asker"), world.question)
    draft = make_response(make_user("drafter"), world.question, submitted=False)
    grade(world.response, world.ta)
    grade(world.other_response, world.instructor)
    grade(resubmitted, world.ta)
    Response.objects.filter(pk=resubmitted.pk).update(submission_count=2)
    grade(asked, world.instructor)
    RegradeRequest.objects.create(response=asked, reason="Again?")
    return late, resubmitted, asked, draft


def test_the_queue_lists_submitted_responses_in_pseudonym_order_and_never_drafts(client, world):
    late, resubmitted, asked, draft = _setup(world)
    client.force_login(world.ta)
    page = client.get(f"/grading/questions/{world.question.pk}/").content.decode()
    submitted = sorted([world.response, world.other_response, late, resubmitted, asked], key=lambda r: r.pseudonym)
    positions = [page.index(r.display_pseudonym) for r in submitted]
    assert positions == sorted(positions)
    assert draft.display_pseudonym not in page


def test_each_filter_shows_what_it_says(client, world):
    late, resubmitted, asked, draft = _setup(world)
    client.force_login(world.ta)
    assert sorted(_listed(client, world, "ungraded")) == [late.display_pseudonym]
    assert sorted(_listed(client, world, "graded")) == sorted(
        r.display_pseudonym for r in (world.response, world.other_response, resubmitted, asked)
    )
    assert sorted(_listed(client, world, "mine")) == sorted([world.response.display_pseudonym,
                                                             resubmitted.display_pseudonym])
    assert _listed(client, world, "flagged") == [resubmitted.display_pseudonym]
    assert _listed(client, world, "late") == [late.display_pseudonym]
    assert _listed(client, world, "regrade") == [asked.display_pseudonym]


def test_a_rubric_change_puts_grades_in_the_flagged_filter(client, world):
    grade(world.response, world.ta)
    grades_flag_for_review(question=world.question, actor=world.instructor, reason="Bands moved.")
    client.force_login(world.ta)
    assert _listed(client, world, "flagged") == [world.response.display_pseudonym]
    assert "Bands moved." in client.get(f"/grading/responses/{world.response.pk}/").content.decode()


def test_an_unknown_filter_falls_back_to_all(client, world):
    client.force_login(world.ta)
    assert len(_listed(client, world, "nonsense")) == 2


def test_the_queue_is_paginated(client, world):
    for i in range(QUEUE_PAGE_SIZE):
        make_response(make_user(f"many{i}"), world.question)
    client.force_login(world.ta)
    first = client.get(f"/grading/questions/{world.question.pk}/").content.decode()
    second = client.get(f"/grading/questions/{world.question.pk}/?page=2").content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert first.split("<tbody>")[1].count("/grading/responses/") == QUEUE_PAGE_SIZE
    assert second.split("<tbody>")[1].count("/grading/responses/") == 2


def test_the_start_button_opens_the_first_ungraded_response_nobody_else_holds(client, world):
    from grading.services import lease_take

    first, second = sorted([world.response, world.other_response], key=lambda r: r.pseudonym)
    client.force_login(world.ta)
    assert f'href="/grading/responses/{first.pk}/" id="start-grading"' in client.get(
        f"/grading/questions/{world.question.pk}/").content.decode()
    lease_take(response=first, holder=world.instructor)
    assert f'href="/grading/responses/{second.pk}/" id="start-grading"' in client.get(
        f"/grading/questions/{world.question.pk}/").content.decode()
