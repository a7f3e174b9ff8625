"""Saving and submitting answers. Every accepted save keeps its text as a revision; so does a refused
stale save, up to CONFLICT_REVISIONS_MAX per response (the browser keeps its own copy beyond that)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses.deadlines import AnswerWindow, Deadline, answer_window, deadline_for_student
from courses.models import Question, Response, ResponseRevision, ResponseStatus, RevisionKind
from courses.moments import moment_display
from courses.wordcount import count_words
from reflect_site.input import InputError, savable_text

# Refused stale saves kept per response. A browser stops autosaving at its first conflict, so
# only a script loops into this cap; without it each refusal could store another 100 KB.
CONFLICT_REVISIONS_MAX = 20


class ResponseError(Exception):
    """A save or submission the server refused; `message` is for the student."""

    status_code = 400

    def __init__(self, message: str, response: Response | None = None):
        super().__init__(message)
        self.message = message
        self.response = response


class AnswerTooLarge(ResponseError):
    status_code = 413


class QuestionNotOpen(ResponseError):
    status_code = 403


class DeadlinePassed(ResponseError):
    status_code = 403


class StaleVersion(ResponseError):
    """The browser's text was based on an older version: nothing was overwritten."""

    status_code = 409


class WordCountOutOfRange(ResponseError):
    """The submission was refused; the text was kept as a draft."""

    status_code = 400


@dataclass(frozen=True)
class SaveOutcome:
    response: Response
    changed: bool


def check_answer_size(text: str) -> None:
    """Refuse text the database can't store (NUL, lone surrogates) and text over the size cap."""
    try:
        savable_text(text, what="This answer")
    except InputError as exc:
        raise ResponseError(exc.message) from None
    limit = settings.RESPONSE_MAX_BYTES
    if len(text.encode("utf-8")) > limit:
        raise AnswerTooLarge(
            f"This answer is over the {limit // 1000} KB limit, so it was not saved. "
            "Answers are at most a few hundred words; please shorten it."
        )


def word_range_message(question: Question, words: int) -> str:
    return (
        f"Your answer has {words} word{'s' if words != 1 else ''}; "
        f"it needs {question.min_words}–{question.max_words}. It was saved as a draft, not submitted."
    )


def _check_window(question: Question, deadline: Deadline, now: datetime) -> None:
    zone = question.module.course.time_zone
    window = answer_window(question, deadline, now)
    if window == AnswerWindow.NOT_OPEN:
        raise QuestionNotOpen(f"This question opens on {moment_display(question.opens_at, zone)}.")
    if not window.accepts_answers:
        raise DeadlinePassed(
            f"The deadline ({moment_display(deadline.due_at, zone)}) has passed; this answer is now read-only."
        )


def _locked_response(student, question: Question) -> Response:
    response, _ = Response.objects.get_or_create(student=student, question=question)
    return Response.objects.select_for_update().get(pk=response.pk)


STALE_KEPT = ("This answer was changed in another tab or window since you opened it. "
              "Nothing was overwritten: your text is kept in your history.")
STALE_NOT_KEPT = ("This answer was changed in another tab or window since you opened it. Nothing was "
                  "overwritten, and your text was not added to your history, which already holds "
                  f"{CONFLICT_REVISIONS_MAX} refused saves: it is still in this box, so copy it before "
                  "loading the other version.")


STALE_RESTORE = ("Nothing was restored: this answer was changed in another tab or window since you opened "
                 "its history. Here is the history as it is now; try again.")


def _refuse_stale(response: Response, *, text: str, words: int, base_version: int, now: datetime) -> StaleVersion:
    """Record a stale save as a CONFLICT revision unless the same text on the same base is already
    kept, or the response already holds CONFLICT_REVISIONS_MAX of them. Runs under the row lock."""
    conflicts = ResponseRevision.objects.filter(response=response, kind=RevisionKind.CONFLICT)
    if conflicts.filter(base_version=base_version, text=text).exists():
        return StaleVersion(STALE_KEPT, response)
    if conflicts.count() >= CONFLICT_REVISIONS_MAX:
        return StaleVersion(STALE_NOT_KEPT, response)
    ResponseRevision.objects.create(
        response=response, kind=RevisionKind.CONFLICT, text=text, word_count=words,
        base_version=base_version, version=None, created_at=now,
    )
    return StaleVersion(STALE_KEPT, response)


def _apply(
    *, student, question: Question, text: str, base_version: int, submit: bool, now: datetime
) -> tuple[Response, bool, ResponseError | None]:
    """Apply a save inside the caller's transaction. Refusals that must still be recorded
    (a stale save, a submission outside the word range) are returned, not raised, so the
    revision they wrote commits."""
    response = _locked_response(student, question)
    words = count_words(text)
    if response.version != base_version:
        return response, False, _refuse_stale(response, text=text, words=words, base_version=base_version, now=now)
    in_range = question.min_words <= words <= question.max_words
    if submit and in_range and response.is_submitted and text == response.submitted_text == response.text:
        return response, False, None  # submitting the same text again changes nothing
    if text == response.text and not (submit and in_range):
        return response, False, (WordCountOutOfRange(word_range_message(question, words), response)
                                 if submit else None)
    response.text = text
    response.version += 1
    kind = RevisionKind.AUTOSAVE
    error = None
    if submit and in_range:
        kind = RevisionKind.SUBMIT
        response.status = ResponseStatus.SUBMITTED
        response.submitted_text = text
        response.submitted_at = now
        response.submitted_word_count = words
        response.submission_count += 1
        # The student's own deadline, read under the row lock: an extension granted meanwhile has
        # either committed (and counts here) or waits for this lock before recomputing the flag.
        response.late_seconds = deadline_for_student(student, question).seconds_late(now)
        response.is_late = response.late_seconds is not None
    elif submit:
        error = WordCountOutOfRange(word_range_message(question, words), response)
    response.save()
    ResponseRevision.objects.create(
        response=response, kind=kind, text=text, word_count=words,
        base_version=base_version, version=response.version, created_at=now,
    )
    return response, True, error


def _save(*, student, question: Question, text: str, base_version: int, submit: bool,
          now: datetime | None) -> SaveOutcome:
    now = now or timezone.now()
    check_answer_size(text)
    deadline = deadline_for_student(student, question)
    _check_window(question, deadline, now)
    with transaction.atomic():
        response, changed, error = _apply(
            student=student, question=question, text=text, base_version=base_version, submit=submit, now=now
        )
    if error:
        raise error
    return SaveOutcome(response=response, changed=changed)


def response_save_draft(*, student, question: Question, text: str, base_version: int,
                        now: datetime | None = None) -> SaveOutcome:
    """Autosave the student's working text; refuses a stale base version."""
    return _save(student=student, question=question, text=text, base_version=base_version, submit=False, now=now)


def response_submit(*, student, question: Question, text: str, base_version: int,
                    now: datetime | None = None) -> SaveOutcome:
    """Submit the answer if its word count is in range; otherwise keep it as a draft and refuse."""
    return _save(student=student, question=question, text=text, base_version=base_version, submit=True, now=now)


def response_restore(*, student, revision: ResponseRevision, base_version: int,
                     now: datetime | None = None) -> SaveOutcome:
    """Put an earlier text from the history back as the working draft.

    Nothing is overwritten: it is an ordinary autosave of that text (a new revision, a new version),
    refused like any save when the question no longer takes answers. A stale page is refused before
    anything is written (the text is in the history already, so no conflict revision is kept).
    """
    with transaction.atomic():
        current = Response.objects.select_for_update().get(pk=revision.response_id)
        if current.version != base_version:
            raise StaleVersion(STALE_RESTORE, current)
        return response_save_draft(student=student, question=current.question, text=revision.text,
                                   base_version=base_version, now=now)
