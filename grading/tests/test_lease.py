"""Grading leases: opening a response claims it for a few minutes; others see who has it until it expires."""

from datetime import timedelta

from django.utils import timezone

from grading.models import LEASE_DURATION, GradingLease
from grading.services import lease_take
from grading.tests.helpers import grade


def test_opening_a_response_takes_the_lease(client, world):
    client.force_login(world.ta)
    before = timezone.now()
    client.get(f"/grading/responses/{world.response.pk}/")
    lease = GradingLease.objects.get(response=world.response)
    assert lease.holder == world.ta
    assert before + LEASE_DURATION <= lease.expires_at <= timezone.now() + LEASE_DURATION


def test_the_other_grader_sees_who_is_grading_in_the_queue_and_on_the_page(client, world):
    client.force_login(world.ta)
    client.get(f"/grading/responses/{world.response.pk}/")
    client.force_login(world.instructor)
    queue = client.get(f"/grading/questions/{world.question.pk}/").content.decode()
    assert "being graded by ta" in queue
    page = client.get(f"/grading/responses/{world.response.pk}/").content.decode()
    assert "Being graded by ta" in page
    # Seeing it does not steal it, and grading stays possible.
    assert GradingLease.objects.get(response=world.response).holder == world.ta
    assert 'id="grade-form"' in page


def test_the_holder_is_not_warned_about_their_own_lease(client, world):
    client.force_login(world.ta)
    client.get(f"/grading/responses/{world.response.pk}/")
    page = client.get(f"/grading/responses/{world.response.pk}/").content.decode()
    assert "Being graded by" not in page
    assert "being graded by" not in client.get(f"/grading/questions/{world.question.pk}/").content.decode()


def test_an_expired_lease_is_no_longer_shown_and_passes_to_the_next_grader(client, world):
    lease_take(response=world.response, holder=world.ta, now=timezone.now() - LEASE_DURATION - timedelta(seconds=1))
    client.force_login(world.instructor)
    assert "being graded by" not in client.get(f"/grading/questions/{world.question.pk}/").content.decode()
    page = client.get(f"/grading/responses/{world.response.pk}/").content.decode()
    assert "Being graded by" not in page
    assert GradingLease.objects.get(response=world.response).holder == world.instructor


def test_activity_renews_the_lease(client, world):
    lease_take(response=world.response, holder=world.ta, now=timezone.now() - timedelta(minutes=4))
    client.force_login(world.ta)
    reply = client.post(f"/grading/responses/{world.response.pk}/lease/")
    assert reply.json()["held_by_other"] is None
    assert GradingLease.objects.get(response=world.response).expires_at > timezone.now() + timedelta(minutes=4)


def test_the_renewal_endpoint_names_the_other_holder_without_taking_over(client, world):
    lease_take(response=world.response, holder=world.ta)
    client.force_login(world.instructor)
    assert client.post(f"/grading/responses/{world.response.pk}/lease/").json()["held_by_other"] == "ta"
    assert GradingLease.objects.get(response=world.response).holder == world.ta


def test_saving_ends_the_graders_lease(world):
    lease_take(response=world.response, holder=world.ta)
    grade(world.response, world.ta)
    assert not GradingLease.objects.get(response=world.response).is_active()


def test_next_ungraded_skips_a_response_someone_else_is_grading(client, world):
    first, second = sorted([world.response, world.other_response], key=lambda r: r.pseudonym)
    lease_take(response=second, holder=world.instructor)
    client.force_login(world.ta)
    reply = client.post(f"/grading/responses/{first.pk}/save/", {
        "band": world.question.bands.get(label="GOOD").pk, "score": 8, "version": 0,
    })
    assert reply["Location"] == f"/grading/questions/{world.question.pk}/"
