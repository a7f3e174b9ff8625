"""Writes of grading state: every change is atomic and leaves an audit row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Question, Response, ResponseStatus, RubricBand
from courses.notices import regrade_answered_notify
from courses.rubric import band_for_score
from grading.models import (
    LEASE_DURATION,
    Comment,
    Grade,
    GradeEvent,
    GradeEventKind,
    GradeRelease,
    GradingLease,
    NameReveal,
    RegradeRequest,
    RegradeStatus,
    ReleaseEvent,
)
from grading.selectors import regrade_deadline
from reflect_site.input import INT32_MAX


class GradingError(Exception):
    """A grading action refused with a message fit to show the user; nothing was changed."""


class GradeConflict(GradingError):
    """The save was based on a version that is no longer current; `current` is the grade as it stands."""

    def __init__(self, current: Grade, posted: PostedGrade):
        super().__init__(
            f"{current.graded_by} saved a grade for this response at {current.graded_at:%H:%M:%S} "
            "while you had it open; yours was not applied."
        )
        self.current = current
        self.posted = posted


@dataclass(frozen=True)
class PostedGrade:
    """A grade as a grader submitted it, kept to show beside the current one on conflict."""

    band: RubricBand
    score: int
    feedback: str
    base_version: int
    criterion_scores: tuple[int, ...] = ()


def grade_values(
    *, question: Question, band_id: int | None, score: int | None, criterion_scores: list[int] | None,
) -> tuple[RubricBand, int, list[int]]:
    """The band, score and criterion scores a save would write for `question`; GradingError otherwise.

    A criteria question is scored by its criteria alone (criteria_check); a bands question by its
    band and score (grade_check), with no criterion scores.
    """
    if question.uses_criteria:
        return criteria_check(question=question, criterion_scores=criterion_scores)
    if criterion_scores:
        raise GradingError("This question is graded with bands, not criteria; reload the page.")
    band, score = grade_check(question=question, band_id=band_id, score=score)
    return band, score, []


def grade_check(*, question: Question, band_id: int | None, score: int | None) -> tuple[RubricBand, int]:
    """The band and score if they are allowed for `question`; GradingError otherwise.

    Views pass what their forms typed (ints or None); anything else is refused here too, so no
    caller can reach the database with a value it would choke on.
    """
    if band_id is None:
        raise GradingError("Pick a band before saving.")
    if not _is_int(band_id):
        raise GradingError("That band is not one of this question's bands.")
    band = RubricBand.objects.filter(pk=band_id, question=question).first()
    if band is None:
        raise GradingError("That band is not one of this question's bands.")
    if score is None:
        raise GradingError(f"Pick a score in {band.label} ({band.range_display}).")
    if not _is_int(score):
        raise GradingError("The score must be a whole number.")
    if not band.min_points <= score <= band.max_points:
        raise GradingError(f"{score} is outside {band.label}, which allows {band.range_display}.")
    if score > question.points:
        raise GradingError(f"{score} is above the question's {question.points} points.")
    return band, score


def criteria_check(*, question: Question, criterion_scores: list[int] | None) -> tuple[RubricBand, int, list[int]]:
    """The band and total of a criteria question's scores (one per criterion, each 0..its maximum)."""
    criteria = list(question.criteria.order_by("position"))
    if not criterion_scores:
        raise GradingError("Score every criterion before saving.")
    if not isinstance(criterion_scores, list | tuple) or len(criterion_scores) != len(criteria):
        raise GradingError(f"This rubric has {len(criteria)} criteria; score each of them once. Reload the page if "
                           "the rubric changed.")
    for position, (criterion, value) in enumerate(zip(criteria, criterion_scores, strict=True), start=1):
        if not _is_int(value):
            raise GradingError(f"Criterion {position}'s score must be a whole number.")
        if value > criterion.max_points:
            raise GradingError(f"Criterion {position} ({criterion.description[:60]}) is worth at most "
                               f"{criterion.max_points}, not {value}.")
    total = sum(criterion_scores)
    if total > question.points:  # criteria add up to the points, so only a rubric edited underway gets here
        raise GradingError(f"The criteria add up to {total}, above the question's {question.points} points.")
    band = band_for_score(question.bands.all(), total)  # RubricBand rows have the fields a BandSpec has
    if band is None:
        raise GradingError(f"No band of this question covers {total} points; ask an instructor to fix the rubric.")
    return band, total, list(criterion_scores)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT32_MAX


def grade_save(
    *,
    response_id: int,
    actor,
    band_id: int | None,
    score: int | None,
    feedback: str,
    base_version: int,
    kind: str | None = None,
    note: str = "",
    criterion_scores: list[int] | None = None,
) -> Grade:
    """Apply a grade if `base_version` is the current one; otherwise record the refused save and raise GradeConflict.

    The response row is locked first so two graders saving at once are serialised:
    the second sees the first's new version and gets the conflict. A criteria question takes
    `criterion_scores` instead of band and score (see grade_values); the grade keeps the rubric
    version it was made against.
    """
    conflict = None
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("question")
            .filter(pk=response_id, status=ResponseStatus.SUBMITTED)
            .first()
        )
        if response is None:
            raise GradingError("That response does not exist or has not been submitted.")
        band, score, criterion_scores = grade_values(question=response.question, band_id=band_id, score=score,
                                                     criterion_scores=criterion_scores)
        feedback = (feedback or "").replace("\r\n", "\n").strip()
        grade = (
            Grade.objects.select_for_update(of=("self",))
            .select_related("band", "graded_by")
            .filter(response=response)
            .first()
        )
        current_version = grade.version if grade else 0
        if base_version != current_version:
            if grade is None:
                raise GradingError("This response's grade changed under you; reload the page.")
            conflict = GradeConflict(grade, PostedGrade(band, score, feedback, base_version, tuple(criterion_scores)))
            # Refused saves are audited too, so a lost edit can always be found again.
            GradeEvent.objects.create(
                response=response, actor=actor, kind=GradeEventKind.CONFLICT_REFUSED,
                old_score=grade.score, new_score=score, old_band=grade.band.label, new_band=band.label,
                old_feedback=grade.feedback, new_feedback=feedback, version=grade.version,
                old_criterion_scores=grade.criterion_scores, new_criterion_scores=criterion_scores,
                note=f"Based on version {base_version}, current is {grade.version}.",
            )
        else:
            old = ((grade.score, grade.band.label, grade.feedback, grade.criterion_scores) if grade
                   else (None, "", "", []))
            if grade is None:
                grade = Grade(response=response)
            grade.band = band
            grade.score = score
            grade.criterion_scores = criterion_scores
            grade.rubric_version = response.question.rubric_version
            grade.points = response.question.points
            grade.feedback = feedback
            grade.graded_by = actor
            grade.graded_at = timezone.now()
            grade.version = current_version + 1
            grade.submission_number = response.submission_count
            grade.needs_review = False
            grade.review_reason = ""
            grade.save()
            GradeEvent.objects.create(
                response=response, actor=actor,
                kind=kind or (GradeEventKind.GRADED if current_version == 0 else GradeEventKind.CHANGED),
                old_score=old[0], new_score=score, old_band=old[1], new_band=band.label,
                old_feedback=old[2], new_feedback=feedback, version=grade.version, note=note[:300],
                old_criterion_scores=old[3], new_criterion_scores=criterion_scores, created_at=grade.graded_at,
            )
            # Saving ends this grader's claim so the next grader's queue shows the response as free.
            GradingLease.objects.filter(response=response, holder=actor).update(expires_at=grade.graded_at)
    if conflict is not None:
        raise conflict
    return grade


def lease_take(*, response: Response, holder, now=None) -> GradingLease:
    """Take or renew the lease on `response`; a live lease of someone else is left alone and returned."""
    now = now or timezone.now()
    expires = now + LEASE_DURATION
    for _attempt in range(2):
        try:
            with transaction.atomic():
                lease = (
                    GradingLease.objects.select_for_update(of=("self",))
                    .select_related("holder")
                    .filter(response=response)
                    .first()
                )
                if lease is None:
                    return GradingLease.objects.create(
                        response=response, holder=holder, taken_at=now, expires_at=expires
                    )
                if lease.holder_id != holder.pk and lease.is_active(now):
                    return lease
                if lease.holder_id != holder.pk:
                    lease.holder, lease.taken_at = holder, now
                lease.expires_at = expires
                lease.save(update_fields=["holder", "taken_at", "expires_at"])
                return lease
        except IntegrityError:
            # Another grader created the lease between our read and insert; read theirs.
            continue
    return GradingLease.objects.select_related("holder").get(response=response)


def lease_takeover(*, response: Response, holder, now=None) -> GradingLease:
    """Take the lease on `response` even from someone else's live lease; their open page learns it when it
    next polls the lease status, and stops saving there until they take it back."""
    now = now or timezone.now()
    expires = now + LEASE_DURATION
    with transaction.atomic():
        lease, created = GradingLease.objects.select_for_update(of=("self",)).get_or_create(
            response=response, defaults={"holder": holder, "taken_at": now, "expires_at": expires},
        )
        if not created:
            if lease.holder_id != holder.pk or not lease.is_active(now):
                lease.holder, lease.taken_at = holder, now
            lease.expires_at = expires
            lease.save(update_fields=["holder", "taken_at", "expires_at"])
    return lease


@transaction.atomic
def name_reveal(*, response: Response, actor) -> NameReveal:
    """Record that `actor` un-blinded `response`."""
    return NameReveal.objects.create(response=response, revealed_by=actor)


@transaction.atomic
def grades_release(*, questions: Iterable[Question], actor, released: bool) -> int:
    """Release (or withdraw) the grades of `questions`; returns how many changed state."""
    now = timezone.now()
    questions = list(questions)
    existing = {r.question_id: r for r in GradeRelease.objects.select_for_update().filter(question__in=questions)}
    changed = 0
    for question in questions:
        release = existing.get(question.pk)
        if release is not None and release.released == released:
            continue
        if release is None:
            if not released:
                continue
            release = GradeRelease(question=question)
        release.released = released
        if released:
            # The regrade window runs from the latest release.
            release.released_at = now
        release.changed_by = actor
        release.changed_at = now
        if released:  # released now, so a schedule for later has nothing left to do
            release.scheduled_for = release.scheduled_by = None
        release.save()
        ReleaseEvent.objects.create(question=question, actor=actor, released=released, created_at=now)
        changed += 1
    return changed


@transaction.atomic
def grades_release_schedule(*, questions: Iterable[Question], actor, when: datetime | None, now=None) -> int:
    """Schedule the release of `questions`' grades for `when` (None cancels); returns how many changed.

    Questions already released are left alone; grading.tasks.scheduled_releases_run releases the rest
    through grades_release once the time has come.
    """
    now = now or timezone.now()
    if when is not None and when <= now:
        raise GradingError("Choose a time in the future to schedule the release.")
    questions = list(questions)
    existing = {r.question_id: r for r in GradeRelease.objects.select_for_update().filter(question__in=questions)}
    changed = 0
    for question in questions:
        release = existing.get(question.pk)
        if release is not None and release.released:
            continue
        if release is None:
            if when is None:
                continue
            release = GradeRelease(question=question, changed_by=actor, changed_at=now)
        if release.scheduled_for == when:
            continue
        release.scheduled_for = when
        release.scheduled_by = actor if when is not None else None
        release.save()
        changed += 1
    return changed


@transaction.atomic
def regrade_request_create(*, response: Response, student, reason: str, now=None) -> RegradeRequest:
    """A student's one regrade request for a released grade, inside the course's window."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    response = (
        Response.objects.select_for_update(of=("self",)).select_related("question__module__course").get(pk=response.pk)
    )
    if response.student_id != student.pk:
        raise GradingError("Only the student who wrote this response can ask for a regrade.")
    if not reason:
        raise GradingError("Say why you think the grade should change.")
    if RegradeRequest.objects.filter(response=response).exists():
        raise GradingError("You have already asked for a regrade of this question.")
    release = GradeRelease.objects.filter(question_id=response.question_id).first()
    grade = Grade.objects.filter(response=response).first()
    if release is None or not release.released or grade is None:
        raise GradingError("You can ask for a regrade once your grade has been released.")
    deadline = regrade_deadline(release, response.question.module.course)
    if now > deadline:
        raise GradingError(f"The regrade window closed on {deadline:%Y-%m-%d %H:%M} UTC.")
    return RegradeRequest.objects.create(response=response, reason=reason, created_at=now, score_before=grade.score)


def regrade_answer(
    *, regrade: RegradeRequest, actor, reply: str, band_id: int | None = None, score: int | None = None,
    feedback: str | None = None, base_version: int, criterion_scores: list[int] | None = None,
) -> RegradeRequest:
    """Answer a regrade request in writing, changing the grade (audited as a regrade) when band, score,
    criterion scores or feedback differ; `feedback` None keeps the grade's feedback as it is."""
    reply = (reply or "").strip()
    if not reply:
        raise GradingError("Write a reply to the student.")
    with transaction.atomic():
        regrade = RegradeRequest.objects.select_for_update().get(pk=regrade.pk)
        if regrade.status != RegradeStatus.OPEN:
            raise GradingError("This regrade request has already been answered.")
        grade = Grade.objects.select_related("band").get(response_id=regrade.response_id)
        new_band_id = band_id if band_id is not None else grade.band_id
        new_score = score if score is not None else grade.score
        new_feedback = grade.feedback if feedback is None else feedback.replace("\r\n", "\n").strip()
        new_criteria = list(criterion_scores) if criterion_scores else grade.criterion_scores
        if (new_band_id != grade.band_id or new_score != grade.score or new_feedback != grade.feedback
                or new_criteria != grade.criterion_scores):
            grade = grade_save(
                response_id=regrade.response_id, actor=actor, band_id=new_band_id, score=new_score,
                feedback=new_feedback, base_version=base_version, kind=GradeEventKind.REGRADE,
                note="Regrade request answered.", criterion_scores=criterion_scores,
            )
        elif base_version != grade.version:
            raise GradeConflict(grade, PostedGrade(grade.band, grade.score, grade.feedback, base_version,
                                                   tuple(grade.criterion_scores)))
        regrade.status = RegradeStatus.ANSWERED
        regrade.reply = reply
        regrade.answered_by = actor
        regrade.answered_at = timezone.now()
        regrade.score_after = grade.score
        regrade.save()
        response = Response.objects.select_related("student", "question__module__course").get(pk=regrade.response_id)
        regrade_answered_notify(student=response.student, question=response.question,
                                response_url=response.get_absolute_url())  # e-mailed after commit
    return regrade


@transaction.atomic
def comment_add(*, question: Question, actor, text: str) -> Comment:
    """Add a reusable comment to `question`'s comment bank."""
    text = (text or "").strip()
    if not text:
        raise GradingError("A comment needs some text.")
    if Comment.objects.filter(question=question, text=text).exists():
        raise GradingError("That comment is already in the bank.")
    return Comment.objects.create(question=question, text=text, created_by=actor)


@transaction.atomic
def grades_flag_for_review(*, question: Question, actor, reason: str) -> int:
    """Mark every grade of `question` for review (after its rubric changed); returns how many."""
    grades = list(Grade.objects.select_for_update().filter(response__question=question).select_related("band"))
    for grade in grades:
        grade.needs_review = True
        grade.review_reason = reason[:300]
        GradeEvent.objects.create(
            response_id=grade.response_id, actor=actor, kind=GradeEventKind.FLAGGED,
            old_score=grade.score, new_score=grade.score, old_band=grade.band.label, new_band=grade.band.label,
            old_feedback=grade.feedback, new_feedback=grade.feedback, version=grade.version, note=reason[:300],
            old_criterion_scores=grade.criterion_scores, new_criterion_scores=grade.criterion_scores,
        )
    Grade.objects.filter(pk__in=[g.pk for g in grades]).update(needs_review=True, review_reason=reason[:300])
    return len(grades)
