"""Editing a question and its rubric: one rule and one confirmation, for the admin and the manage pages.

Bands obey `courses.rubric.rubric_errors`, an analytic rubric's criteria `criteria_errors`.
Changing what a graded question is worth, its rubric kind, the labels and ranges of its bands
or the points and order of its criteria needs an explicit confirmation (`CONFIRM_FIELD`);
applying it freezes the rubric as it was into a `RubricVersion`, bumps the question's
`rubric_version`, flags the existing grades for review (never rescales them) and puts each on
the band that now covers its score. Courses doesn't know about grades: `question_rubric_change`
sends `courses.signals.rubric_changing` / `rubric_changed`, which the grading app receives.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.forms.models import BaseInlineFormSet

from courses.models import Question, Response, RubricBand, RubricCriterion, RubricKind, RubricVersion
from courses.rubric import BandSpec, CriterionSpec, criteria_errors, rubric_errors
from courses.signals import rubric_changed, rubric_changing

CONFIRM_FIELD = "confirm_rubric_change"
CONFIRM_LABEL = "Apply the rubric change and flag existing grades for review"
CONFIRM_MESSAGE = (
    "This question already has grades. Tick “Apply the rubric change and flag existing grades for review” to save "
    "this change; the graded answers will be flagged for review, not rescaled."
)
# Criteria text alone does not change how any grade was scored, so only ranges and labels count.
SCORING_FIELDS = frozenset({"label", "min_points", "max_points"})
# Likewise a criterion's wording and levels don't change a grade's arithmetic; its points and place do.
CRITERION_SCORING_FIELDS = frozenset({"position", "max_points"})
PENALTY_FIELDS = ("late_penalty_per_day", "late_penalty_cap")
PREVIEW_MAX_CHARS = 100_000  # of a Markdown text sent for a live preview


def question_has_grades(question: Question) -> bool:
    """True when any answer to `question` has a grade (one query; asks through the reverse relation)."""
    return Response.objects.filter(question=question, grade__isnull=False).exists()


def rubric_change_summary(*, points_before: int | None, points_after: int, bands_edited: bool,
                          kind_before: str | None = None, kind_after: str | None = None,
                          criteria_edited: bool = False) -> str:
    """What changes how the question's answers are scored ("points 10 → 15; bands edited"), or "" if nothing does."""
    changes = []
    if points_before is not None and points_before != points_after:
        changes.append(f"points {points_before} → {points_after}")
    if kind_before is not None and kind_after is not None and kind_before != kind_after:
        changes.append(f"{RubricKind(kind_before).label.lower()} → {RubricKind(kind_after).label.lower()}")
    if bands_edited:
        changes.append("bands edited")
    if criteria_edited:
        changes.append("criteria edited")
    return "; ".join(changes)


def rubric_snapshot(question_id: int) -> dict:
    """The question's rubric as stored now, in `RubricVersion`'s shape: {"kind", "points", "rubric"} (3 queries)."""
    kind, points, notes = Question.objects.filter(pk=question_id).values_list(
        "rubric_kind", "points", "rubric_notes").get()
    bands = list(RubricBand.objects.filter(question_id=question_id).order_by("position")
                 .values("label", "min_points", "max_points", "description"))
    criteria = list(RubricCriterion.objects.filter(question_id=question_id).order_by("position")
                    .values("description", "max_points", "levels"))
    return {"kind": kind, "points": points, "rubric": {"bands": bands, "criteria": criteria, "notes": notes}}


@transaction.atomic
def rubric_version_record(*, question: Question, actor, reason: str, before: dict | None = None) -> RubricVersion:
    """Freeze the rubric as it was (`before`, else as stored now) under the question's current version
    number, and give the question the next number; grades keep the number they were made against."""
    number = Question.objects.select_for_update().filter(pk=question.pk).values_list("rubric_version",
                                                                                     flat=True).get()
    before = before or rubric_snapshot(question.pk)
    version = RubricVersion.objects.create(
        question_id=question.pk, number=number, kind=before["kind"], points=before["points"],
        rubric=before["rubric"], replaced_by=actor, reason=reason[:300],
    )
    Question.objects.filter(pk=question.pk).update(rubric_version=number + 1)
    question.rubric_version = number + 1
    return version


def version_rubric_before_change(sender, *, question: Question, actor, reason: str, before: dict | None = None,
                                 **kwargs) -> None:
    """`rubric_changing` receiver: keep the rubric about to be replaced as a RubricVersion. On the signal, so
    every path that changes a graded rubric (these forms, the notebook importer) versions it alike."""
    rubric_version_record(question=question, actor=actor, reason=reason, before=before)


@transaction.atomic
def question_rubric_change(*, question: Question, actor, reason: str, write: Callable[[], object],
                           before: dict | None = None) -> int:
    """Apply a confirmed rubric change: version the old rubric and flag the grades (receivers of
    `rubric_changing`), `write()` the new rubric, realign; returns grades flagged.

    `before` is the rubric as it was when the change was checked (`rubric_snapshot`), for callers that
    have already saved the question row; without it the stored rubric is frozen. Flagged before
    writing, so each grade's audit row records the band it was given in.
    """
    replies = rubric_changing.send(sender=Question, question=question, actor=actor, reason=reason, before=before)
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
    rubric_before: dict | None = None

    def clean(self) -> None:
        super().clean()
        self.rubric_change = ""
        self.rubric_before = None
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
        points, kind = Question.objects.filter(pk=question.pk).values_list("points", "rubric_kind").first() or (
            None, None)
        change = rubric_change_summary(points_before=points, points_after=question.points,
                                       kind_before=kind, kind_after=question.rubric_kind,
                                       bands_edited=self.bands_edited())
        _confirm_graded(self, question, change)

    def save(self, commit=True):
        if commit:
            # Labels and positions are unique per question: move edited rows aside so a swap cannot clash.
            moving = [form.instance.pk for form in self.initial_forms
                      if form.instance.pk and (form.has_changed() or form in self.deleted_forms)]
            RubricBand.objects.filter(pk__in=moving).update(
                label=Concat(Value("~moving~"), Cast("id", CharField())), position=F("position") + 1_000_000)
        return super().save(commit)


def _confirm_graded(formset, question: Question, change: str) -> None:
    """Refuse an unconfirmed `change` to a graded question; note a confirmed one and the rubric it replaces."""
    if not change or not question_has_grades(question):
        return
    if not formset.data.get(CONFIRM_FIELD):
        raise ValidationError(CONFIRM_MESSAGE)
    formset.rubric_change = change
    formset.rubric_before = rubric_snapshot(question.pk)


class RubricCriterionFormSet(BaseInlineFormSet):
    """An analytic rubric's criteria: checked by `criteria_errors` when the question is scored by criteria.

    A bands question may keep criteria rows (they score nothing until its kind is switched). After
    `is_valid()`, `rubric_change` and `rubric_before` are as for RubricBandFormSet.
    """

    rubric_change = ""
    rubric_before: dict | None = None

    def clean(self) -> None:
        super().clean()
        self.rubric_change = ""
        self.rubric_before = None
        if any(self.errors):
            return
        question = self.instance
        if question.rubric_kind != RubricKind.CRITERIA:
            return
        live = sorted((form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")),
                      key=lambda f: f.cleaned_data["position"])
        errors: list[str] = []
        if question.points is not None:
            specs = [CriterionSpec(f.cleaned_data["description"], f.cleaned_data["max_points"],
                                   f.cleaned_data.get("levels", "")) for f in live]
            errors += criteria_errors(specs, question.points)
        positions = [f.cleaned_data["position"] for f in live]
        if len(set(positions)) != len(positions):
            errors.append("Two criteria share a position; give each criterion its own.")
        if errors:
            raise ValidationError(errors)
        if question.pk and Question.objects.filter(pk=question.pk, rubric_kind=RubricKind.CRITERIA).exists():
            # A switch of kind is the band formset's to report; here only edits of a criteria rubric.
            _confirm_graded(self, question, rubric_change_summary(
                points_before=None, points_after=question.points, bands_edited=False,
                criteria_edited=self.criteria_edited()))

    def criteria_edited(self) -> bool:
        """Whether a criterion's points or place changed, or a criterion was added or deleted."""
        return bool(self.deleted_forms) or any(
            (form.instance.pk is None and form.has_changed()) or CRITERION_SCORING_FIELDS & set(form.changed_data)
            for form in self.forms
        )

    def save(self, commit=True):
        if commit:
            # Positions are unique per question: move edited rows aside so a swap cannot clash.
            moving = [form.instance.pk for form in self.initial_forms
                      if form.instance.pk and (form.has_changed() or form in self.deleted_forms)]
            RubricCriterion.objects.filter(pk__in=moving).update(position=F("position") + 1_000_000)
        return super().save(commit)


def rubric_change_of(formsets) -> tuple[str, dict | None]:
    """The confirmed rubric change the question's formsets found, and the rubric it replaces."""
    found = [f for f in formsets if getattr(f, "rubric_change", "")]
    return "; ".join(f.rubric_change for f in found), next((f.rubric_before for f in found), None)


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
        if "rubric_kind" in self.fields:
            self.fields["rubric_kind"].required = False  # a form posted without it keeps the stored kind

    def clean_rubric_kind(self) -> str:
        return self.cleaned_data.get("rubric_kind") or self.instance.rubric_kind

    def clean_late_penalty_per_day(self):
        return self._penalty("late_penalty_per_day")

    def clean_late_penalty_cap(self):
        return self._penalty("late_penalty_cap")

    def _penalty(self, name: str) -> int:
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value is None else value


@transaction.atomic
def question_save(*, form: forms.ModelForm, bands: RubricBandFormSet, actor,
                  criteria: RubricCriterionFormSet | None = None) -> tuple[Question, int]:
    """Save a validated question form with its band and criteria formsets; returns the question and how many
    grades were flagged. A confirmed rubric change goes through `question_rubric_change`."""
    question = form.save()
    formsets = [bands] if criteria is None else [bands, criteria]
    for formset in formsets:
        formset.instance = question
    change, before = rubric_change_of(formsets)

    def write() -> None:
        for formset in formsets:
            formset.save()

    if not change:
        write()
        return question, 0
    flagged = question_rubric_change(question=question, actor=actor, write=write, before=before,
                                     reason=f"Rubric changed on the manage page: {change}.")
    return question, flagged
