"""Restoring an earlier text from the history: a new draft through the ordinary save, nothing overwritten."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import LatePolicy, Response, ResponseRevision, RevisionKind
from courses.services import StaleVersion, response_restore, response_save_draft, response_submit
from courses.tests.factories import make_question, words


@pytest.fixture
def history(world):
    """Q2 of the student: a first draft, then a submission, then a rewrite that is the current draft."""
    question = make_question(world.module, 2)
    student = world.student
    response_save_draft(student=student, question=question, text="first idea", base_version=0)
    response_submit(student=student, question=question, text=words(180), base_version=1)
    response_save_draft(student=student, question=question, text="a rewrite", base_version=2)
    response = Response.objects.get(student=student, question=question)
    return response, {r.text: r for r in response.revisions.all()}


def test_restoring_an_earlier_text_makes_a_new_autosave_revision(world, history):
    response, revisions = history
    outcome = response_restore(student=world.student, revision=revisions["first idea"], base_version=3)
    assert outcome.changed and outcome.response.text == "first idea" and outcome.response.version == 4
    kinds = list(response.revisions.order_by("id").values_list("kind", "text", "version"))
    assert kinds == [(RevisionKind.AUTOSAVE, "first idea", 1), (RevisionKind.SUBMIT, words(180), 2),
                     (RevisionKind.AUTOSAVE, "a rewrite", 3), (RevisionKind.AUTOSAVE, "first idea", 4)]
    response.refresh_from_db()
    assert response.submitted_text == words(180) and response.is_submitted  # the submission stays


def test_a_restore_from_a_stale_page_is_refused_and_changes_nothing(world, history):
    response, revisions = history
    with pytest.raises(StaleVersion):
        response_restore(student=world.student, revision=revisions["first idea"], base_version=2)
    response.refresh_from_db()
    assert (response.text, response.version) == ("a rewrite", 3)
    assert response.revisions.count() == 3  # no conflict revision: the text is in the history already


def test_the_history_page_offers_restore_for_texts_other_than_the_current_one(client, world, history):
    response, revisions = history
    client.force_login(world.student)
    page = client.get(reverse("courses:response", args=[response.pk])).content.decode()
    assert page.count("Restore this text as my draft") == 2
    assert f'name="revision" value="{revisions["a rewrite"].pk}"' not in page


def test_restoring_from_the_page_redirects_to_the_answer_box_with_the_text(client, world, history):
    response, revisions = history
    client.force_login(world.student)
    reply = client.post(reverse("courses:response_restore", args=[response.pk]),
                        {"revision": revisions["first idea"].pk, "version": 3}, follow=True)
    assert reply.redirect_chain == [(reverse("courses:question", args=[response.question_id]), 302)]
    page = reply.content.decode()
    assert ">first idea</textarea>" in page and "as your draft; it is not submitted" in page
    assert ResponseRevision.objects.filter(response=response).count() == 4


def test_a_stale_restore_from_the_page_says_so_and_writes_nothing(client, world, history):
    response, revisions = history
    client.force_login(world.student)
    reply = client.post(reverse("courses:response_restore", args=[response.pk]),
                        {"revision": revisions["first idea"].pk, "version": 2}, follow=True)
    assert reply.redirect_chain == [(reverse("courses:response", args=[response.pk]), 302)]
    assert "Nothing was restored" in reply.content.decode()
    response.refresh_from_db()
    assert (response.text, response.version) == ("a rewrite", 3) and response.revisions.count() == 3


@pytest.mark.parametrize("data", [{"revision": "x", "version": 3}, {"revision": 1, "version": "-1"}, {}])
def test_bad_input_gets_a_message_and_writes_nothing(client, world, history, data):
    response, _ = history
    client.force_login(world.student)
    reply = client.post(reverse("courses:response_restore", args=[response.pk]), data, follow=True)
    assert "Nothing was restored" in reply.content.decode()
    assert ResponseRevision.objects.filter(response=response).count() == 3


def test_another_responses_revision_is_a_404(client, world, history):
    response, _ = history
    theirs = ResponseRevision.objects.create(response=world.other_response, kind=RevisionKind.AUTOSAVE,
                                             text="someone else's", word_count=2, base_version=0, version=1)
    client.force_login(world.student)
    reply = client.post(reverse("courses:response_restore", args=[response.pk]),
                        {"revision": theirs.pk, "version": 3})
    assert reply.status_code == 404
    response.refresh_from_db()
    assert response.text == "a rewrite"


def test_after_the_deadline_of_a_rejecting_question_nothing_is_restored(client, world, history):
    response, revisions = history
    question = response.question
    question.due_at, question.late_policy = timezone.now() - timedelta(hours=1), LatePolicy.REJECT
    question.save()
    client.force_login(world.student)
    page = client.get(reverse("courses:response", args=[response.pk])).content.decode()
    assert "Restore this text" not in page
    reply = client.post(reverse("courses:response_restore", args=[response.pk]),
                        {"revision": revisions["first idea"].pk, "version": 3}, follow=True)
    assert "Nothing was restored" in reply.content.decode() and "has passed" in reply.content.decode()
    response.refresh_from_db()
    assert response.text == "a rewrite"


@pytest.mark.parametrize("saves", [3, 40])
def test_the_history_page_costs_the_same_queries_however_long_the_history(client, world, history, saves,
                                                                          django_assert_num_queries):
    response, _ = history
    for n in range(saves):
        response_save_draft(student=world.student, question=response.question, text=f"draft {n}",
                            base_version=response.version + n)
    client.force_login(world.student)
    client.get(reverse("courses:response", args=[response.pk]))  # warm the session
    # session, user, response+question+module+course, its revisions, my extensions (courses.deadlines),
    # the grade panel: the question's release, the regrade request
    with django_assert_num_queries(7):
        page = client.get(reverse("courses:response", args=[response.pk])).content.decode()
    assert page.count("Restore this text as my draft") == 2 + saves


def test_an_autosave_costs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    question = make_question(world.module, 3)
    client.force_login(world.student)
    client.get(reverse("courses:question", args=[question.pk]))  # warm the session
    # session, user, rate-limit window, question+module+course, enrollment, my extensions; the save in a
    # savepoint: get_or_create of the response (savepoint, insert, release), its row lock, update, revision,
    # release; then the status for the page: my response, my released grade, my extensions
    with django_assert_num_queries(18) as captured:
        reply = client.post(reverse("courses:answer_save", args=[question.pk]),
                            json.dumps({"text": "a first thought", "version": 0}), content_type="application/json")
    assert reply.status_code == 200 and reply.json()["status"] == "draft", captured
