"""Forms of the course's manage pages: they validate at the boundary, so services take typed values.

Dates are entered in the course's time zone: views validate and render these forms inside
`course_time_zone(course)`, and Django's DateTimeField turns what was typed into UTC.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django import forms
from django.forms.models import inlineformset_factory
from django.utils import timezone

from courses.models import Course, Module, Question, RubricBand, RubricCriterion
from courses.questions import QuestionFormBase, RubricBandFormSet, RubricCriterionFormSet
from reflect_site.input import validate_savable_text

MODULE_NUMBER_MAX = 999  # as the notebook importer allows
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


@contextmanager
def course_time_zone(course: Course) -> Iterator[None]:
    """Read and show times in the course's zone (UTC if the stored name is somehow not one)."""
    try:
        zone = zoneinfo.ZoneInfo(course.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    with timezone.override(zone):
        yield


class DateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the value is local to the course's zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(required=False, label=label, help_text=help_text, widget=DateTimeInput(),
                               input_formats=DATETIME_INPUT_FORMATS)


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """The zones offered for a course, read from the tz database once per process."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in time_zone_names()]


class CourseSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,  # the model's validate_time_zone runs too, when the form cleans the instance
        help_text="Deadlines are entered and shown in this zone. Changing it doesn't move deadlines already set.",
    )
    # The template writes the ~600 options itself: the widget's per-option templates take a quarter of a second.
    time_zone_names = staticmethod(time_zone_names)

    class Meta:
        model = Course
        fields = ["title", "description", "regrade_window_days", "time_zone", "default_late_policy"]
        labels = {"regrade_window_days": "Regrade window (days)", "description": "Description (Markdown)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title", "description"):
            self.fields[name].validators.append(validate_savable_text)
        self.fields["regrade_window_days"].min_value = 0
        self.fields["default_late_policy"].help_text = "New questions start with this policy."


class ModuleForm(forms.ModelForm):
    """A module's number, slug, title, summary and the reflection intro and summary around its questions;
    numbers and slugs are unique within the course."""

    number = forms.IntegerField(min_value=1, max_value=MODULE_NUMBER_MAX, help_text="Its position in the course.")

    class Meta:
        model = Module
        fields = ["number", "slug", "title", "summary", "reflection_intro", "reflection_summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3}), "reflection_intro": forms.Textarea(attrs={"rows": 4}),
                   "reflection_summary": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        for name in ("title", "summary", "reflection_intro", "reflection_summary"):
            self.fields[name].validators.append(validate_savable_text)

    def _siblings(self):
        siblings = Module.objects.filter(course=self.course)
        return siblings.exclude(pk=self.instance.pk) if self.instance.pk else siblings

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        taken = self._siblings().filter(number=number).first()
        if taken is not None:
            raise forms.ValidationError(f"Module {number} is already “{taken.title}”; move that one first, "
                                        "or pick a free number.")
        return number

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if self._siblings().filter(slug=slug).exists():
            raise forms.ValidationError(f"Another module of this course already has the slug “{slug}”.")
        return slug


class ModuleScheduleForm(forms.Form):
    """Dates for every question of a module at once; an empty box removes that date."""

    opens_at = datetime_field("Opens", "Empty: open as soon as the module is published.")
    due_at = datetime_field("Due", "Empty: no deadline.")

    def clean(self) -> dict:
        data = super().clean()
        opens_at, due_at = data.get("opens_at"), data.get("due_at")
        if opens_at and due_at and opens_at >= due_at:
            self.add_error("due_at", "The deadline must be after the questions open.")
        return data


class ModuleMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class ModulePublishForm(forms.Form):
    publish = forms.TypedChoiceField(choices=[("1", "Publish"), ("0", "Unpublish")], coerce=lambda v: v == "1")


class QuestionForm(QuestionFormBase):
    """Everything the admin edits about a question, with dates in the course's zone."""

    opens_at = datetime_field("Opens", "Empty: open whenever the module is published.")
    due_at = datetime_field("Due", "Empty: no deadline.")

    class Meta:
        model = Question
        fields = ["number", "grade_id", "title", "context", "prompt", "expected_response", "mark_scheme",
                  "min_words", "max_words", "points", "rubric_kind", "rubric_notes", "opens_at", "due_at",
                  "late_policy", "late_penalty_per_day", "late_penalty_cap", "lab"]
        labels = {"grade_id": "Grade id", "mark_scheme": "Mark scheme (staff only)",
                  "late_penalty_per_day": "Penalty per day late (%)", "late_penalty_cap": "Penalty cap (%)",
                  "rubric_kind": "Rubric", "rubric_notes": "Rubric notes (staff only)"}
        widgets = {name: forms.Textarea(attrs={"rows": 4})
                   for name in ("context", "prompt", "expected_response", "mark_scheme")}
        widgets["rubric_notes"] = forms.Textarea(attrs={"rows": 2})

    def __init__(self, *args, module: Module, **kwargs):
        super().__init__(*args, **kwargs)
        self.module = module
        self.instance.module = module
        for name in ("title", "context", "prompt", "expected_response", "mark_scheme", "rubric_notes"):
            self.fields[name].validators.append(validate_savable_text)
        self.fields["rubric_kind"].help_text = ("Analytic criteria: a score per criterion, summed; the bands below "
                                                "still name the band each total falls in.")

    def _siblings(self):
        siblings = Question.objects.filter(module=self.module)
        return siblings.exclude(pk=self.instance.pk) if self.instance.pk else siblings

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        if self._siblings().filter(number=number).exists():
            raise forms.ValidationError(f"Q{number} already exists in this module; pick a free number.")
        return number

    def clean_grade_id(self) -> str:
        grade_id = self.cleaned_data["grade_id"]
        if self._siblings().filter(grade_id=grade_id).exists():
            raise forms.ValidationError(f"Another question of this module already has the grade id “{grade_id}”.")
        return grade_id


class BandForm(forms.ModelForm):
    class Meta:
        model = RubricBand
        fields = ["position", "label", "min_points", "max_points", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"min_points": "From", "max_points": "To", "description": "Criteria (Markdown)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("label", "description"):
            self.fields[name].validators.append(validate_savable_text)

    def has_changed(self) -> bool:
        # A suggested band (a new row that may not be left empty) is saved even when left as suggested.
        return super().has_changed() or (self.instance.pk is None and not self.empty_permitted)


def band_formset(*, prefilled: int = 0, extra: int = 1) -> type[RubricBandFormSet]:
    """The admin's band formset (one rule, one confirmation) with `extra` empty rows.

    The first `prefilled` new rows carry suggested bands; they count even when left as suggested
    (an unchanged extra row would otherwise be skipped), and are taken out with their Delete box.
    """
    return inlineformset_factory(Question, RubricBand, form=BandForm, formset=RubricBandFormSet, extra=extra,
                                 min_num=prefilled, can_delete=True)


class CriterionForm(forms.ModelForm):
    class Meta:
        model = RubricCriterion
        fields = ["position", "description", "max_points", "levels"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "levels": forms.Textarea(attrs={"rows": 2})}
        labels = {"max_points": "Points", "levels": "Levels (Markdown, optional)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("description", "levels"):
            self.fields[name].validators.append(validate_savable_text)


def criterion_formset(*, extra: int = 2) -> type[RubricCriterionFormSet]:
    """The admin's criteria formset (one rule, one confirmation) with `extra` empty rows."""
    return inlineformset_factory(Question, RubricCriterion, form=CriterionForm, formset=RubricCriterionFormSet,
                                 extra=extra, can_delete=True)


def with_stored_criteria(data, question: Question):
    """`data` as posted, or, when it holds no criteria rows at all (a form from before criteria existed),
    with the stored criteria as unchanged rows, so they are judged against the posted points and kind."""
    if data is None or "criteria-TOTAL_FORMS" in data:
        return data
    stored = list(question.criteria.order_by("position")) if question.pk else []
    data = data.copy()
    data.update({"criteria-TOTAL_FORMS": len(stored), "criteria-INITIAL_FORMS": len(stored)})
    for i, criterion in enumerate(stored):
        data.update({f"criteria-{i}-id": criterion.pk, f"criteria-{i}-position": criterion.position,
                     f"criteria-{i}-description": criterion.description,
                     f"criteria-{i}-max_points": criterion.max_points, f"criteria-{i}-levels": criterion.levels})
    return data


def shown_in_zone(value: datetime | None) -> str:
    """A stored time as the course's zone shows it, for messages (call inside `course_time_zone`)."""
    if value is None:
        return "none"
    local = timezone.localtime(value)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"
