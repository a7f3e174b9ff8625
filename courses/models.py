"""Courses, modules, reflection questions, rubric bands, enrollments and student responses."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from courses.rubric import (
    LABEL_MAX,
    MAX_WORDS_MIN,
    MIN_WORDS_MIN,
    POINTS_MAX,
    POINTS_MIN,
    WORDS_MAX,
    BandSpec,
    rubric_errors,
)


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TA = "ta", "Teaching assistant"
    INSTRUCTOR = "instructor", "Instructor"


STAFF_ROLES = (Role.TA, Role.INSTRUCTOR)


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    regrade_window_days = models.PositiveIntegerField(
        default=7, help_text="Days after grades are released during which a student may ask for a regrade."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:course", args=[self.slug])


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    number = models.PositiveIntegerField(help_text="Position of the module within its course.")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown.")

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="module_slug_unique_in_course"),
            models.UniqueConstraint(fields=["course", "number"], name="module_number_unique_in_course"),
        ]

    def __str__(self) -> str:
        return f"{self.number:02d}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("courses:module", args=[self.course.slug, self.slug])


class LatePolicy(models.TextChoices):
    REJECT = "reject", "Refuse submissions after the deadline"
    ACCEPT_LATE = "accept_late", "Accept late submissions and flag them"


class Lab(models.TextChoices):
    """Interactive activation demos a question can show beside it."""

    NONE = "", "No lab"
    EXPLORER = "explorer", "Activation explorer"
    COST = "cost", "Cost lab (ReLU vs Softmax)"
    STABILITY = "stability", "Softmax stability lab"
    PRECISION = "precision", "Precision lab"


class QuestionQuerySet(models.QuerySet):
    def open_now(self) -> QuestionQuerySet:
        now = timezone.now()
        return self.filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))


class Question(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveIntegerField(help_text="Position of the question within its module.")
    grade_id = models.SlugField(max_length=100, help_text="nbgrader grade_id; unique within the module.")
    title = models.CharField(max_length=200)
    context = models.TextField(blank=True, help_text="Markdown.")
    prompt = models.TextField(help_text="Markdown: the question itself.")
    expected_response = models.TextField(blank=True, help_text="Markdown: what a good answer covers.")
    mark_scheme = models.TextField(blank=True, help_text="Staff only, never shown to students. Markdown.")
    min_words = models.PositiveIntegerField(
        default=150, validators=[MinValueValidator(MIN_WORDS_MIN), MaxValueValidator(WORDS_MAX)],
        help_text=f"0 for no minimum; at most {WORDS_MAX:,}.",
    )
    max_words = models.PositiveIntegerField(
        default=300, validators=[MinValueValidator(MAX_WORDS_MIN), MaxValueValidator(WORDS_MAX)],
        help_text=f"At most {WORDS_MAX:,}.",
    )
    points = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(POINTS_MIN), MaxValueValidator(POINTS_MAX)],
        help_text=f"{POINTS_MIN} to {POINTS_MAX:,}.",
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    late_policy = models.CharField(max_length=20, choices=LatePolicy.choices, default=LatePolicy.REJECT)
    lab = models.CharField(
        max_length=20, choices=Lab.choices, blank=True, default=Lab.NONE,
        help_text="Interactive demo shown beside the question.",
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["module", "number"]
        constraints = [
            models.UniqueConstraint(fields=["module", "grade_id"], name="question_grade_id_unique_in_module"),
            models.UniqueConstraint(fields=["module", "number"], name="question_number_unique_in_module"),
            models.CheckConstraint(condition=Q(min_words__lte=F("max_words")), name="question_min_words_lte_max"),
            # The ranges of courses.rubric, so no path around the forms can store a 3e9-point question.
            models.CheckConstraint(condition=Q(points__gte=POINTS_MIN, points__lte=POINTS_MAX),
                                   name="question_points_in_range"),
            models.CheckConstraint(
                condition=Q(min_words__gte=MIN_WORDS_MIN, min_words__lte=WORDS_MAX, max_words__gte=MAX_WORDS_MIN,
                            max_words__lte=WORDS_MAX),
                name="question_words_in_range",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(due_at__isnull=True) | Q(opens_at__lt=F("due_at")),
                name="question_opens_before_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("courses:question", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            errors["max_words"] = "The word limit must be at least the minimum."
        if self.opens_at and self.due_at and self.opens_at >= self.due_at:
            errors["due_at"] = "The deadline must be after the question opens."
        if errors:
            raise ValidationError(errors)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at is None or self.opens_at <= now

    def is_past_due(self, now=None) -> bool:
        now = now or timezone.now()
        return self.due_at is not None and now > self.due_at

    def band_specs(self) -> list[BandSpec]:
        """Bands as plain specs; uses the prefetched `bands` when present."""
        return [BandSpec(b.label, b.min_points, b.max_points) for b in self.bands.all()]


class RubricBand(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="bands")
    position = models.PositiveIntegerField(help_text="Display order, best band first.")
    label = models.CharField(max_length=LABEL_MAX)
    min_points = models.PositiveIntegerField(validators=[MaxValueValidator(POINTS_MAX)])
    max_points = models.PositiveIntegerField(validators=[MaxValueValidator(POINTS_MAX)])
    description = models.TextField(blank=True, help_text="Markdown: the criteria of this band.")

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "label"], name="band_label_unique_in_question"),
            models.UniqueConstraint(fields=["question", "position"], name="band_position_unique_in_question"),
            models.CheckConstraint(condition=Q(min_points__lte=F("max_points")), name="band_min_lte_max"),
            models.CheckConstraint(condition=Q(min_points__gte=0, max_points__lte=POINTS_MAX),
                                   name="band_points_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.range_display})"

    @property
    def range_display(self) -> str:
        if self.min_points == self.max_points:
            return f"{self.min_points}"
        return f"{self.min_points}–{self.max_points}"

    def scores(self) -> range:
        return range(self.min_points, self.max_points + 1)

    def clean(self) -> None:
        if self.min_points is not None and self.max_points is not None and self.min_points > self.max_points:
            raise ValidationError({"max_points": "The highest score must be at least the lowest."})
        if self.question_id and self.max_points is not None and self.max_points > self.question.points:
            raise ValidationError({"max_points": f"Above the question's {self.question.points} points."})


def validate_question_bands(question: Question, bands: list[BandSpec]) -> None:
    """Raise ValidationError when bands do not tile 0..points."""
    errors = rubric_errors(bands, question.points)
    if errors:
        raise ValidationError(errors)


class Enrollment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STUDENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} as {self.get_role_display()}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


def new_pseudonym() -> str:
    return secrets.token_hex(3).upper()


class Response(models.Model):
    """A student's answer to one question: the working text and the last submitted text.

    Graders only ever see `submitted_text`; `text` is the student's current draft,
    which may run ahead of the submission while they revise.
    """

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responses")
    # PROTECT: deleting a question, module or course never takes students' answers with it.
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    text = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT)
    version = models.PositiveIntegerField(default=0, help_text="Bumped by every accepted save.")
    submitted_text = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_word_count = models.PositiveIntegerField(null=True, blank=True)
    submission_count = models.PositiveIntegerField(default=0)
    is_late = models.BooleanField(default=False)
    pseudonym = models.CharField(
        max_length=8, default=new_pseudonym,
        help_text="What graders see instead of the name; random, so ordering by it is a fair shuffle.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question", "pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["student", "question"], name="response_unique_per_student_question"),
            models.UniqueConstraint(fields=["question", "pseudonym"], name="response_pseudonym_unique_in_question"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="response_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} → {self.question}"

    def get_absolute_url(self) -> str:
        return reverse("courses:response", args=[self.pk])

    @property
    def display_pseudonym(self) -> str:
        return f"Response {self.pseudonym}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ResponseStatus.SUBMITTED

    @property
    def has_unsubmitted_changes(self) -> bool:
        return self.is_submitted and self.text != self.submitted_text


class RevisionKind(models.TextChoices):
    AUTOSAVE = "autosave", "Autosave"
    SUBMIT = "submit", "Submission"
    CONFLICT = "conflict", "Conflicting save (not applied)"


class AppendOnlyModel(models.Model):
    """History rows: inserted once, never changed or deleted from application code."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} rows are append-only.")


class ResponseRevision(AppendOnlyModel):
    """Every text a student ever saved, including saves refused as stale."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=20, choices=RevisionKind.choices)
    text = models.TextField(blank=True)
    word_count = models.PositiveIntegerField()
    base_version = models.PositiveIntegerField(help_text="The version the browser's text was based on.")
    version = models.PositiveIntegerField(null=True, blank=True, help_text="Version after this save; empty if refused.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["response", "created_at", "id"]
        indexes = [models.Index(fields=["response", "created_at"], name="revision_response_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.response} at {self.created_at:%Y-%m-%d %H:%M:%S}"
