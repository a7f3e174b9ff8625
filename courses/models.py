"""Courses, modules, reflection questions, rubric bands, enrollments and student responses."""

from __future__ import annotations

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from courses.rubric import (
    CRITERION_TEXT_MAX,
    LABEL_MAX,
    MAX_WORDS_MIN,
    MIN_WORDS_MIN,
    POINTS_MAX,
    POINTS_MIN,
    WORDS_MAX,
    BandSpec,
    CriterionSpec,
    rubric_errors,
)


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    TA = "ta", "Teaching assistant"
    INSTRUCTOR = "instructor", "Instructor"


STAFF_ROLES = (Role.TA, Role.INSTRUCTOR)


class LatePolicy(models.TextChoices):
    REJECT = "reject", "Refuse submissions after the deadline"
    ACCEPT_LATE = "accept_late", "Accept late submissions and flag them"
    PENALTY = "penalty", "Accept late submissions with a penalty per day late"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/London or America/New_York.")


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    regrade_window_days = models.PositiveIntegerField(
        default=7, validators=[MaxValueValidator(365)],
        help_text="Days after grades are released during which a student may ask for a regrade.",
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone],
        help_text="Deadlines are entered and shown in this time zone.",
    )
    default_late_policy = models.CharField(
        max_length=20, choices=LatePolicy.choices, default=LatePolicy.REJECT,
        help_text="The late policy new questions start with.",
    )
    join_code = models.CharField(
        max_length=32, blank=True,
        help_text="Signed-in people who enter it join as students, while joining is on. Empty: no code.",
    )
    join_enabled = models.BooleanField(default=False)
    join_email_domains = models.TextField(
        blank=True, help_text="One e-mail domain per line (example.edu); empty lets anyone with the code join.",
    )
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies",
        help_text="The earlier term this course was copied from.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["join_code"], condition=~Q(join_code=""), name="course_join_code_unique",
            ),
        ]

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
    reflection_intro = models.TextField(
        blank=True, help_text="Markdown shown to students before the module's questions (the notebook's instructions).",
    )
    reflection_summary = models.TextField(
        blank=True, help_text="Markdown shown to students after the module's questions (the closing insight).",
    )
    is_published = models.BooleanField(
        default=True, help_text="Students see only published modules; imported modules start as drafts.",
    )

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


class Lab(models.TextChoices):
    """Interactive activation demos a question can show beside it."""

    NONE = "", "No lab"
    EXPLORER = "explorer", "Activation explorer"
    COST = "cost", "Cost lab (ReLU vs Softmax)"
    STABILITY = "stability", "Softmax stability lab"
    PRECISION = "precision", "Precision lab"


class RubricKind(models.TextChoices):
    """How a question is scored: one band and a score inside it, or points per criterion summed."""

    BANDS = "bands", "Holistic bands"
    CRITERIA = "criteria", "Analytic criteria"


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
    guidance = models.TextField(
        blank=True, help_text="Markdown: guiding questions shown to students with the prompt.",
    )
    expected_response = models.TextField(blank=True, help_text="Markdown: what a good answer covers.")
    mark_scheme = models.TextField(blank=True, help_text="Staff only, never shown to students. Markdown.")
    rubric_kind = models.CharField(max_length=20, choices=RubricKind.choices, default=RubricKind.BANDS)
    rubric_notes = models.TextField(
        blank=True, help_text="Staff only: notes beside the rubric that score nothing themselves (bonus lines).",
    )
    rubric_version = models.PositiveIntegerField(
        default=1, help_text="Bumped each time a rubric that has grades is edited; grades keep the version they used.",
    )
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
    late_penalty_per_day = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(100)],
        help_text="With the penalty policy: percent of the score taken off for each day (or part of one) late.",
    )
    late_penalty_cap = models.PositiveSmallIntegerField(
        default=50, validators=[MaxValueValidator(100)],
        help_text="With the penalty policy: the most that is ever taken off, in percent.",
    )
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
            models.CheckConstraint(condition=Q(late_penalty_per_day__lte=100, late_penalty_cap__lte=100),
                                   name="question_late_penalty_percentages"),
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

    def criterion_specs(self) -> list[CriterionSpec]:
        """Criteria as plain specs; uses the prefetched `criteria` when present."""
        return [CriterionSpec(c.description, c.max_points, c.levels) for c in self.criteria.all()]

    @property
    def uses_criteria(self) -> bool:
        return self.rubric_kind == RubricKind.CRITERIA


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


class RubricCriterion(models.Model):
    """One row of an analytic rubric. A criteria question still has bands: its grade's band is the one
    its total falls in, so analytics, agreement and students' pages read every question alike."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(help_text="Display order.")
    description = models.CharField(max_length=CRITERION_TEXT_MAX)
    max_points = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(POINTS_MAX)])
    levels = models.TextField(blank=True, help_text="Markdown: optional level descriptors (what earns how much).")

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="criterion_position_unique_in_question"),
            models.CheckConstraint(condition=Q(max_points__gte=1, max_points__lte=POINTS_MAX),
                                   name="criterion_points_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.max_points} points)"


def validate_question_bands(question: Question, bands: list[BandSpec]) -> None:
    """Raise ValidationError when bands do not tile 0..points."""
    errors = rubric_errors(bands, question.points)
    if errors:
        raise ValidationError(errors)


class Section(models.Model):
    """A lab group of a course: students and TAs belong to one; extensions and grading follow them."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["course", "name"]
        constraints = [models.UniqueConstraint(fields=["course", "name"], name="section_name_unique_in_course")]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DROPPED = "dropped", "Dropped"


class EnrollmentQuerySet(models.QuerySet):
    def active(self) -> EnrollmentQuerySet:
        return self.filter(status=EnrollmentStatus.ACTIVE)


class Enrollment(models.Model):
    """A person in a course in one role. Dropping never deletes: the status changes and can change back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STUDENT)
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollments")
    status = models.CharField(max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE)
    dropped_at = models.DateTimeField(null=True, blank=True)
    sis_id = models.CharField(max_length=64, blank=True, help_text="The student information system's id.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["course", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique_per_course"),
            models.CheckConstraint(
                condition=Q(status=EnrollmentStatus.ACTIVE, dropped_at__isnull=True)
                | Q(status=EnrollmentStatus.DROPPED, dropped_at__isnull=False),
                name="enrollment_dropped_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} as {self.get_role_display()}"

    def clean(self) -> None:
        if self.section_id and self.course_id and self.section.course_id != self.course_id:
            raise ValidationError({"section": "That section belongs to another course."})

    @property
    def is_active(self) -> bool:
        return self.status == EnrollmentStatus.ACTIVE

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
    late_seconds = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="How long after the student's own deadline (extensions included) the last submission came.",
    )
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


class RubricVersion(AppendOnlyModel):
    """A question's rubric as it was, frozen when a rubric that had grades was edited.

    `number` is the question's `rubric_version` while this rubric was current; a grade made then
    keeps that number, so the rubric it was scored against can always be shown beside today's.
    `rubric` holds {"bands": [{label, min_points, max_points, description}],
    "criteria": [{description, max_points, levels}], "notes": str}.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rubric_versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=RubricKind.choices)
    points = models.PositiveIntegerField()
    rubric = models.JSONField()
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="rubric_version_unique_in_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question} rubric v{self.number}"


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


class Extension(AppendOnlyModel):
    """A later deadline for one student or one section, on one question or a whole module.

    Append-only: a change is a new row, and the newest row that applies wins. A row with no
    `due_at` takes an earlier extension back. `courses.deadlines` reads these.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="extensions")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="extensions")
    module = models.ForeignKey(Module, null=True, blank=True, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="extensions",
    )
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.CASCADE, related_name="extensions")
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty: back to the ordinary deadline.")
    reason = models.CharField(max_length=500)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["course", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, module__isnull=True)
                | Q(question__isnull=True, module__isnull=False),
                name="extension_one_question_or_module",
            ),
            models.CheckConstraint(
                condition=Q(student__isnull=False, section__isnull=True)
                | Q(student__isnull=True, section__isnull=False),
                name="extension_one_student_or_section",
            ),
        ]
        indexes = [models.Index(fields=["course", "created_at"], name="extension_course_time")]

    def __str__(self) -> str:
        who = self.student or self.section
        what = self.question or self.module
        return f"{who}: {what} due {self.due_at or 'as set'}"


class NoticeKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    GRADES_RELEASED = "grades_released", "Grades released"
    REGRADE_ANSWERED = "regrade_answered", "Regrade answered"
    DEADLINE_REMINDER = "deadline_reminder", "Deadline reminder"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    GAVE_UP = "gave_up", "Failed for good"
    SKIPPED = "skipped", "Not e-mailed (turned off or no address)"


class Notice(models.Model):
    """Something a person should hear about: shown in the app's "Recent" panel and e-mailed once.

    `key` makes sending idempotent: whatever retries, one notice per key ever exists, and the
    e-mail is sent only while its status is pending or failed.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Plain text, the e-mail's body.")
    url = models.CharField(max_length=500, blank=True, help_text="Where the notice links to in the app.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notice_recipient_recent"),
            models.Index(fields=["course", "kind", "-created_at"], name="notice_course_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}: {self.subject}"


class NoticePreferences(models.Model):
    """What a person wants to hear about by e-mail; no row means the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences")
    deadline_reminders = models.BooleanField(default=True, help_text="E-mail me 24 hours before a deadline.")

    def __str__(self) -> str:
        return f"Notice preferences of {self.user}"


# LTI 1.3 tables live in their own module; importing them here makes them part of this app.
from courses.lti.models import (  # noqa: E402, F401
    LtiContext,
    LtiIdentity,
    LtiKey,
    LtiLaunchValue,
    LtiPlatform,
    LtiResourceLink,
)
