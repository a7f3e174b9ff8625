"""Saving and submitting answers: the word range, versions, deadlines and history."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from courses.models import LatePolicy, Response, ResponseRevision, RevisionKind
from courses.services import (
    DeadlinePassed,
    QuestionNotOpen,
    StaleVersion,
    WordCountOutOfRange,
    response_save_draft,
    response_submit,
)
from courses.tests.factories import enroll, make_course, make_module, make_question, make_user, words

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    course = make_course()
    question = make_question(make_module(course))
    student = make_user()
    enroll(student, course)
    return question, student


def test_it_submits_a_150_word_answer(setup):
    question, student = setup
    outcome = response_submit(student=student, question=question, text=words(150), base_version=0)
    response = outcome.response
    assert response.is_submitted
    assert response.submitted_word_count == 150
    assert response.submitted_text == words(150)
    assert response.version == 1
    assert not response.is_late
    assert list(response.revisions.values_list("kind", flat=True)) == [RevisionKind.SUBMIT]


def test_it_submits_a_300_word_answer(setup):
    question, student = setup
    assert response_submit(student=student, question=question, text=words(300), base_version=0).response.is_submitted


@pytest.mark.parametrize("n", [0, 1, 149, 301, 1000])
def test_it_refuses_an_answer_outside_the_range_and_keeps_it_as_a_draft(setup, n):
    question, student = setup
    with pytest.raises(WordCountOutOfRange) as refused:
        response_submit(student=student, question=question, text=words(n), base_version=0)
    assert f"has {n} word" in refused.value.message and "150–300" in refused.value.message
    response = Response.objects.filter(student=student, question=question).first()
    if n:
        assert response.text == words(n)
        assert response.status == "draft"
        assert response.revisions.get().kind == RevisionKind.AUTOSAVE
    else:
        assert response is None or (response.text == "" and not response.is_submitted)


def test_a_refused_resubmission_keeps_the_earlier_submission(setup):
    question, student = setup
    response_submit(student=student, question=question, text=words(200), base_version=0)
    with pytest.raises(WordCountOutOfRange):
        response_submit(student=student, question=question, text=words(20), base_version=1)
    response = Response.objects.get(student=student, question=question)
    assert response.is_submitted
    assert response.submitted_text == words(200)
    assert response.text == words(20)
    assert response.has_unsubmitted_changes


def test_the_per_question_range_is_used(setup):
    question, student = setup
    question.min_words, question.max_words = 10, 20
    question.save()
    assert response_submit(student=student, question=question, text=words(10), base_version=0).response.is_submitted


def test_each_save_and_submission_appends_a_revision(setup):
    question, student = setup
    response_save_draft(student=student, question=question, text="first", base_version=0)
    response_save_draft(student=student, question=question, text="first second", base_version=1)
    response_submit(student=student, question=question, text=words(160), base_version=2)
    response_submit(student=student, question=question, text=words(170), base_version=3)
    response = Response.objects.get(student=student, question=question)
    assert response.version == 4
    assert response.submission_count == 2
    assert [r.text for r in response.revisions.all()] == ["first", "first second", words(160), words(170)]


def test_an_unchanged_autosave_writes_nothing(setup):
    question, student = setup
    response_save_draft(student=student, question=question, text="same", base_version=0)
    outcome = response_save_draft(student=student, question=question, text="same", base_version=1)
    assert not outcome.changed
    assert outcome.response.version == 1
    assert ResponseRevision.objects.count() == 1


def test_a_stale_save_is_refused_and_both_texts_stay_in_history(setup):
    question, student = setup
    response_save_draft(student=student, question=question, text="tab one", base_version=0)
    with pytest.raises(StaleVersion) as refused:
        response_save_draft(student=student, question=question, text="tab two", base_version=0)
    assert refused.value.response.text == "tab one"
    response = Response.objects.get(student=student, question=question)
    assert response.text == "tab one" and response.version == 1
    history = list(response.revisions.values_list("kind", "text", "version"))
    assert history == [(RevisionKind.AUTOSAVE, "tab one", 1), (RevisionKind.CONFLICT, "tab two", None)]


def test_a_stale_submission_is_refused_without_overwriting(setup):
    question, student = setup
    response_save_draft(student=student, question=question, text="newer text from another tab", base_version=0)
    with pytest.raises(StaleVersion):
        response_submit(student=student, question=question, text=words(200), base_version=0)
    response = Response.objects.get(student=student, question=question)
    assert not response.is_submitted
    assert response.text == "newer text from another tab"


def test_revisions_are_append_only(setup):
    from django.core.exceptions import ValidationError

    question, student = setup
    response_save_draft(student=student, question=question, text="kept", base_version=0)
    revision = ResponseRevision.objects.get()
    revision.text = "rewritten"
    with pytest.raises(ValidationError):
        revision.save()
    with pytest.raises(ValidationError):
        revision.delete()
    assert ResponseRevision.objects.get().text == "kept"


class TestDeadlines:
    """The server's clock decides, frozen here with time_machine."""

    DUE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def _question(self, policy):
        course = make_course()
        question = make_question(make_module(course), due_at=self.DUE, late_policy=policy)
        student = make_user()
        enroll(student, course)
        return question, student

    def test_a_submission_one_second_before_the_deadline_is_on_time(self):
        question, student = self._question(LatePolicy.REJECT)
        with time_machine.travel(self.DUE - timedelta(seconds=1), tick=False):
            response = response_submit(student=student, question=question, text=words(200), base_version=0).response
        assert response.is_submitted and not response.is_late

    def test_after_the_deadline_a_reject_question_is_read_only(self):
        question, student = self._question(LatePolicy.REJECT)
        with time_machine.travel(self.DUE - timedelta(minutes=5), tick=False):
            response_save_draft(student=student, question=question, text="draft", base_version=0)
        with time_machine.travel(self.DUE + timedelta(seconds=1), tick=False):
            with pytest.raises(DeadlinePassed):
                response_submit(student=student, question=question, text=words(200), base_version=1)
            with pytest.raises(DeadlinePassed):
                response_save_draft(student=student, question=question, text="more", base_version=1)
        response = Response.objects.get()
        assert response.text == "draft" and not response.is_submitted

    def test_after_the_deadline_an_accept_late_question_flags_the_submission(self):
        question, student = self._question(LatePolicy.ACCEPT_LATE)
        with time_machine.travel(self.DUE + timedelta(hours=2), tick=False):
            response = response_submit(student=student, question=question, text=words(200), base_version=0).response
        assert response.is_submitted and response.is_late

    def test_a_question_not_yet_open_refuses_saves(self):
        course = make_course()
        question = make_question(make_module(course), opens_at=self.DUE, due_at=self.DUE + timedelta(days=7))
        student = make_user()
        enroll(student, course)
        with time_machine.travel(self.DUE - timedelta(seconds=1), tick=False):
            with pytest.raises(QuestionNotOpen):
                response_save_draft(student=student, question=question, text="early", base_version=0)
        assert not Response.objects.exists()

    def test_the_browsers_clock_is_not_consulted(self, client):
        question, student = self._question(LatePolicy.REJECT)
        client.force_login(student)
        with time_machine.travel(self.DUE + timedelta(minutes=1), tick=False):
            answer = client.post(
                reverse("courses:answer_submit", args=[question.pk]),
                {"text": words(200), "version": 0, "submitted_at": "2020-01-01T00:00:00Z"}, follow=True,
            )
        assert answer.redirect_chain == [(reverse("courses:question", args=[question.pk]), 302)]
        assert "deadline" in answer.content.decode()
        assert not Response.objects.filter(status="submitted").exists()


def test_deleting_a_question_course_or_module_with_answers_is_refused(setup):
    from django.db.models import ProtectedError

    question, student = setup
    response_save_draft(student=student, question=question, text="my draft", base_version=0)
    for obj in (question, question.module, question.module.course):
        with pytest.raises(ProtectedError):
            obj.delete()
    assert Response.objects.get().text == "my draft"
