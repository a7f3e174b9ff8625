"""Grades, their audit trail, grading leases, name reveals, releases, regrade requests and the comment bank."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from courses.models import AppendOnlyModel, Question, Response, RubricBand

LEASE_DURATION = timedelta(minutes=5)


class Grade(models.Model):
    """The current grade of one response. Every change also appends a GradeEvent.

    `version` is bumped by every change; a save based on an older version is a
    conflict and is never applied silently. `points` copies the question's
    points at grading time so the database can forbid a score outside 0..points.
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="grade")
    band = models.ForeignKey(RubricBand, on_delete=models.PROTECT, related_name="grades")
    score = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    feedback = models.TextField(blank=True, help_text="Markdown, shown to the student after release.")
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grades_given")
    graded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    submission_number = models.PositiveIntegerField(
        default=1, help_text="Which of the student's submissions was graded (Response.submission_count then)."
    )
    criterion_scores = models.JSONField(
        default=list, blank=True,
        help_text="Analytic rubrics: points given per criterion, in the rubric's order; the score is their sum.",
    )
    rubric_version = models.PositiveIntegerField(
        default=1, help_text="The question's rubric_version this grade was made against.",
    )
    needs_review = models.BooleanField(default=False, help_text="Set when the question's rubric changed after grading.")
    review_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["response"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=F("points")), name="grade_score_within_points"),
            models.CheckConstraint(condition=Q(version__gte=1), name="grade_version_positive"),
        ]
        indexes = [models.Index(fields=["graded_by"], name="grade_graded_by")]

    def __str__(self) -> str:
        return f"{self.score}/{self.points} ({self.band.label}) for {self.response}"

    # "Flagged", stated once: marked for review (the rubric changed), or made before the student's latest
    # submission (they resubmitted after grading). The query and the in-memory test below say the same.

    @staticmethod
    def flagged_q(prefix: str = "") -> Q:
        """Responses (reached by `prefix`) whose grade is flagged."""
        return (Q(**{f"{prefix}grade__needs_review": True})
                | Q(**{f"{prefix}grade__submission_number__lt": F(f"{prefix}submission_count")}))

    def is_flagged(self, response: Response) -> bool:
        """Whether this grade of `response` (passed in, already loaded) is flagged."""
        return self.needs_review or self.submission_number < response.submission_count


class GradeEventKind(models.TextChoices):
    GRADED = "graded", "Graded"
    CHANGED = "changed", "Changed"
    CONFLICT_REFUSED = "conflict_refused", "Conflicting save (not applied)"
    CONFLICT_RESOLVED = "conflict_resolved", "Conflict resolved"
    REGRADE = "regrade", "Changed on regrade"
    FLAGGED = "flagged", "Flagged for review"
    REALIGNED = "realigned", "Realigned to a new rubric"
    MODERATED = "moderated", "Moderated after double marking"


class GradeEvent(AppendOnlyModel):
    """Audit row: who changed a grade, when, from what to what."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="grade_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grade_events")
    kind = models.CharField(max_length=30, choices=GradeEventKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    old_score = models.PositiveIntegerField(null=True, blank=True)
    new_score = models.PositiveIntegerField(null=True, blank=True)
    old_band = models.CharField(max_length=60, blank=True)
    new_band = models.CharField(max_length=60, blank=True)
    old_feedback = models.TextField(blank=True)
    new_feedback = models.TextField(blank=True)
    old_criterion_scores = models.JSONField(default=list, blank=True)
    new_criterion_scores = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(help_text="Grade version after this event.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["response", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"


class GradingLease(models.Model):
    """A short claim on a response while a grader has it open (expires without activity)."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="lease")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grading_leases")
    taken_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="lease_expires_at")]

    def __str__(self) -> str:
        return f"{self.response} held by {self.holder} until {self.expires_at:%H:%M:%S}"

    def is_active(self, now=None) -> bool:
        return self.expires_at > (now or timezone.now())


class NameReveal(AppendOnlyModel):
    """Every time a grader un-blinds a response."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="name_reveals")
    revealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="name_reveals")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.revealed_by} revealed {self.response.display_pseudonym} at {self.created_at:%Y-%m-%d %H:%M}"


class GradeRelease(models.Model):
    """Whether a question's grades are visible to its students. History lives in ReleaseEvent."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="release")
    released = models.BooleanField(default=False)
    released_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    scheduled_for = models.DateTimeField(
        null=True, blank=True, help_text="When the grades will be released by themselves; empty: not scheduled.",
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(released=False) | Q(released_at__isnull=False), name="release_released_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {'released' if self.released else 'not released'}"


class ReleaseEvent(AppendOnlyModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="release_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return f"{'Released' if self.released else 'Withdrawn'} {self.question} by {self.actor}"


class RegradeStatus(models.TextChoices):
    OPEN = "open", "Awaiting reply"
    ANSWERED = "answered", "Answered"


class RegradeRequest(models.Model):
    """A student's one request per question to look again, and staff's written answer."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="regrade_request")
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=RegradeStatus.choices, default=RegradeStatus.OPEN)
    reply = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    score_before = models.PositiveIntegerField(null=True, blank=True)
    score_after = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (Q(answered_at__isnull=False) & ~Q(reply="")),
                name="regrade_answered_has_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"Regrade of {self.response} ({self.get_status_display()})"


class Comment(models.Model):
    """A reusable feedback snippet for one question (the comment bank)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="bank_comments")
    text = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question", "created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class GradingAssignment(models.Model):
    """Which TA grades one response; a TA's queue opens on what is assigned to them."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="assignment")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grading_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["grader"], name="assignment_grader")]

    def __str__(self) -> str:
        return f"{self.response.display_pseudonym} → {self.grader}"


class SimilarityCheck(models.Model):
    """The last near-duplicate check of one question's answers (grading/similarity.py), and what it found."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="similarity_check")
    checked_at = models.DateTimeField(default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Empty when the background worker ran the check.",
    )
    threshold = models.FloatField(help_text="Jaccard similarity of word 5-grams from which a pair is flagged.")
    answers = models.PositiveIntegerField(help_text="Submitted answers to this question that were compared.")
    earlier_answers = models.PositiveIntegerField(default=0, help_text="Answers of earlier terms compared with them.")
    pairs = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gt=0) & Q(threshold__lte=1),
                                   name="similarity_check_threshold_range"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.pairs} pair(s) at {self.threshold:.2f} on {self.checked_at:%Y-%m-%d %H:%M}"


class SimilarPair(models.Model):
    """Two answers that share many word runs: a signal for a person to read, never a penalty.

    `response_a` answers `question`; `response_b` answers it too or, after a course copy, the same
    question of an earlier term. A re-check replaces the question's pairs but keeps reviewed ones.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="similar_pairs")
    response_a = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    response_b = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(help_text="Jaccard similarity of the two answers' word 5-grams, 0..1.")
    computed_at = models.DateTimeField(default=timezone.now)
    reviewed = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Staff only: what the reviewer made of the pair.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["question", "-similarity", "id"]
        constraints = [
            models.UniqueConstraint(fields=["response_a", "response_b"], name="similar_pair_unique"),
            models.CheckConstraint(condition=~Q(response_a=F("response_b")), name="similar_pair_two_answers"),
            models.CheckConstraint(condition=Q(similarity__gte=0) & Q(similarity__lte=1),
                                   name="similar_pair_similarity_range"),
        ]
        indexes = [models.Index(fields=["question", "-similarity"], name="similar_pair_question")]

    def __str__(self) -> str:
        return f"{self.response_a.display_pseudonym} ~ {self.response_b.display_pseudonym} ({self.similarity:.2f})"

    @property
    def percent(self) -> int:
        return round(100 * self.similarity)


class DoubleMarkingPolicy(models.Model):
    """The share of a question's answers that a second grader marks again, blind to the first grade."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="double_marking")
    share = models.PositiveSmallIntegerField(default=0, help_text="Percent of the answers, 0–100.")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(share__lte=100), name="double_marking_share_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.share}% double-marked"


class SecondMark(models.Model):
    """The blind second grade of a sampled answer. It never reaches the student: their grade is Grade.

    When its band is more than one band from the first grade's, the answer waits for an instructor's
    moderation; `moderated_by`/`moderated_at` record who settled it (the final grade is a GradeEvent).
    """

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="second_mark")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="second_marks")
    band = models.ForeignKey(RubricBand, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    feedback = models.TextField(blank=True, help_text="Notes for the moderator; never shown to the student.")
    created_at = models.DateTimeField(default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["response"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=F("points")), name="second_mark_score_within_points"),
            models.CheckConstraint(
                condition=Q(moderated_by__isnull=True, moderated_at__isnull=True)
                | Q(moderated_by__isnull=False, moderated_at__isnull=False),
                name="second_mark_moderation_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Second mark {self.score}/{self.points} ({self.band.label}) for {self.response}"


class CalibrationExemplar(models.Model):
    """An answer an instructor chose, with a reference grade, for graders to calibrate against."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="exemplars")
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="exemplar")
    band = models.ForeignKey(RubricBand, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveIntegerField()
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question", "created_at", "id"]

    def __str__(self) -> str:
        return f"Exemplar {self.score} ({self.band.label}) of {self.question}"


class CalibrationAttempt(AppendOnlyModel):
    """A grader's grade of one exemplar. It never touches the student's Grade."""

    exemplar = models.ForeignKey(CalibrationExemplar, on_delete=models.PROTECT, related_name="attempts")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calibration_attempts")
    band = models.ForeignKey(RubricBand, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["exemplar", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["exemplar", "grader"], name="calibration_attempt_once_per_grader"),
        ]

    def __str__(self) -> str:
        return f"{self.grader} gave {self.score} ({self.band.label}) to {self.exemplar}"


# LTI grade passback tables live in their own module; importing them here makes them part of this app.
from grading.lti_models import LineItem, PassbackStatus, ScorePost  # noqa: E402, F401
