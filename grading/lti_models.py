"""LTI Assignment and Grade Services: the LMS grade columns (line items) and what was posted to each.

Imported at the bottom of grading/models.py, so the `grading` app owns these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from courses.lti.models import LtiContext
from courses.models import Module, Question


class LineItem(models.Model):
    """One grade column in the LMS course: for a question or for a module (the context's choice)."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="line_items")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    module = models.ForeignKey(Module, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=1000, help_text="The line item's id at the platform.")
    tag = models.CharField(max_length=100, help_text="reflect's name for it at the platform, so a re-run finds it.")
    label = models.CharField(max_length=300)
    score_maximum = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["context", "label"]
        constraints = [
            models.CheckConstraint(condition=Q(question__isnull=False, module__isnull=True)
                                   | Q(question__isnull=True, module__isnull=False),
                                   name="line_item_question_or_module"),
            models.UniqueConstraint(fields=["context", "tag"], name="line_item_tag_unique_in_context"),
        ]

    def __str__(self) -> str:
        return self.label


class PassbackStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "The LMS has it"
    FAILED = "failed", "Failed, will retry"
    GAVE_UP = "gave_up", "Failed for good"
    NO_LMS_ACCOUNT = "no_lms_account", "Not sent: the student has no LMS identity"


class ScorePost(models.Model):
    """What the LMS should have for one student in one column, and what happened when it was sent.

    `score_given` None with `released` False is a withdrawal (the LMS is told there is no score).
    """

    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="posts")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    released = models.BooleanField(default=True)
    score_given = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    score_maximum = models.DecimalField(max_digits=10, decimal_places=2)
    activity_progress = models.CharField(max_length=20)
    grading_progress = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=PassbackStatus.choices, default=PassbackStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the LMS last accepted it.")
    timestamp = models.DateTimeField(null=True, blank=True, help_text="The timestamp of the last score sent.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["line_item", "student"]
        constraints = [
            models.UniqueConstraint(fields=["line_item", "student"], name="score_post_unique_per_student"),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.line_item}: {self.get_status_display()}"
