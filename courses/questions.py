"""Editing a question and its rubric bands: one rule and one confirmation, for the admin and the manage pages.

Bands obey `courses.rubric.rubric_errors`. Changing what a graded question is worth, or the
labels and ranges of its bands, needs an explicit confirmation (`CONFIRM_FIELD`); applying it
flags the existing grades for review (never rescales them) and puts each on the band that now
covers its score. Courses doesn't know about grades: `question_rubric_change` sends
`courses.signals.rubric_changing` / `rubric_changed`, which the grading app receives.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.forms.models import BaseInlineFormSet

from courses.models import Question, Response, RubricBand
from courses.rubric import BandSpec, rubric_errors
from courses.signals import rubric_changed, rubric_changing

CONFIRM_FIELD = "confirm_rubric_change"
CONFIRM_LABEL = "Apply the rubric change and flag existing grades for review"
CONFIRM_MESSAGE = (
    "This question already has grades. Tick “Apply the rubric change and flag existing grades for review” to save "
    "this change; the graded answers will be flagged for review, not rescaled."
)
# Criteria text alone does not change how any grade was scored, so only ranges and labels count.
SCORING_FIELDS = frozenset({"label", "min_points", "max_points"})
PENALTY_FIELDS = ("late_penalty_per_day", "late_penalty_cap")
PREVIEW_MAX_CHARS = 100_000  # of a Markdown text sent for a live preview


def question_has_grades(question: Question) -> bool:
    """True when any answer to `question` has a grade (one query; asks through the reverse relation)."""
    return Response.objects.filter(question=question, grade__isnull=False).exists()


def rubric_change_summary(*, points_before: int | None, points_after: int, bands_edited: bool) -> str:
    """What changes how the question's answers are scored ("points 10 → 15; bands edited"), or "" if nothing does."""
    changes = []
    if points_before is not None and points_before != points_after:
        changes.append(f"points {points_before} → {points_after}")
    if bands_edited:
        changes.append("bands edited")
    return "; ".join(changes)


@transaction.atomic
def question_rubric_change(*, question: Question, actor, reason: str, write: Callable[[], object]) -> int:
    """Apply a confirmed rubric change: flag the grades, `write()` the new rubric, realign; returns grades flagged.

    Flagged before writing, so each grade's audit row records the band it was given in.
    """
    replies = rubric_changing.send(sender=Question, question=question, actor=actor, reason=reason)
    flagged = sum(reply for _, reply in replies if isinstance(reply, int))
    write()
    rubric_changed.send(sender=Question, question=question, actor=actor, reason=reason)
    return flagged


class RubricBandFormSet(BaseInlineFormSet):
    """Bands must be ordered best first, not overlap, cover 0..points and have distinct labels.

    After `is_valid()`, `rubric_change` says what a confirmed change to a graded question
    alters ("" when there is nothing to confirm), for `question_rubric_change`'s reason.
    """

    rubric_change = ""

    def clean(self) -> None:
        super().clean()
        self.rubric_change = ""
        if any(self.errors):
            return
        question = self.instance
        live = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        errors: list[str] = []
        if question.points is not None:
            specs = [BandSpec(f.cleaned_data["label"], f.cleaned_data["min_points"], f.cleaned_data["max_points"])
                     for f in live]
            errors += rubric_errors(specs, question.points)
        ordered = sorted(live, key=lambda f: f.cleaned_data["position"])
        positions = [f.cleaned_data["position"] for f in ordered]
        if len(set(positions)) != len(positions):
            errors.append("Two bands share a position; give each band its own.")
        for better, worse in zip(ordered, ordered[1:], strict=False):
            if better.cleaned_data["min_points"] < worse.cleaned_data["min_points"]:
                errors.append(f"Order the bands best first: {worse.cleaned_data['label']} scores higher than "
                              f"{better.cleaned_data['label']} but comes after it.")
        gone = [form.instance.pk for form in self.deleted_forms if form.instance.pk]
        # The admin refuses these itself (protected objects); the manage pages rely on this message.
        for band in RubricBand.objects.filter(pk__in=gone, grades__isnull=False).distinct():
            errors.append(f"{band.label} has grades, so it can't be deleted; change its range instead, and its "
                          "grades move to the band that covers their score.")
        if errors:
            raise ValidationError(errors)
        self._check_graded(question)

    def bands_edited(self) -> bool:
        """Whether a band's label or range changed, or a band was added or deleted."""
        return bool(self.deleted_forms) or any(
            (form.instance.pk is None and form.has_changed()) or SCORING_FIELDS & set(form.changed_data)
            for form in self.forms
        )

    def _check_graded(self, question: Question) -> None:
        if not question.pk:
            return
        before = Question.objects.filter(pk=question.pk).values_list("points", flat=True).first()
        change = rubric_change_summary(points_before=before, points_after=question.points,
                                       bands_edited=self.bands_edited())
        if not change or not question_has_grades(question):
            return
        if not self.data.get(CONFIRM_FIELD):
            raise ValidationError(CONFIRM_MESSAGE)
        self.rubric_change = change

    def save(self, commit=True):
        if commit:
            # Labels and positions are unique per question: move edited rows aside so a swap cannot clash.
            moving = [form.instance.pk for form in self.initial_forms
                      if form.instance.pk and (form.has_changed() or form in self.deleted_forms)]
            RubricBand.objects.filter(pk__in=moving).update(
                label=Concat(Value("~moving~"), Cast("id", CharField())), position=F("position") + 1_000_000)
        return super().save(commit)


class QuestionFormBase(forms.ModelForm):
    """What every question form shares: the confirmation box, and penalty settings that may be left empty."""

    confirm_rubric_change = forms.BooleanField(
        required=False, label=CONFIRM_LABEL,
        help_text="Needed only when the question already has grades and its points or bands change.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PENALTY_FIELDS:
            if name in self.fields:
                # They matter only under the penalty policy; empty keeps what is stored (10 % a day, at most 50 %).
                self.fields[name].required = False

    def clean_late_penalty_per_day(self):
        return self._penalty("late_penalty_per_day")

    def clean_late_penalty_cap(self):
        return self._penalty("late_penalty_cap")

    def _penalty(self, name: str) -> int:
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value is None else value


@transaction.atomic
def question_save(*, form: forms.ModelForm, bands: RubricBandFormSet, actor) -> tuple[Question, int]:
    """Save a validated question form and its band formset; returns the question and how many grades were flagged.

    A confirmed rubric change (`bands.rubric_change`) goes through `question_rubric_change`.
    """
    question = form.save()
    bands.instance = question
    if not bands.rubric_change:
        bands.save()
        return question, 0
    flagged = question_rubric_change(question=question, actor=actor, write=bands.save,
                                     reason=f"Rubric changed on the manage page: {bands.rubric_change}.")
    return question, flagged
