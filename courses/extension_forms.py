"""The extension form: who (one student or one section), what (one question or a whole module), until when, why.

Validate and render inside `course_time_zone(course)`: the new deadline is typed in the course's zone.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from courses.extensions import REASON_MAX
from courses.manage_forms import datetime_field
from courses.models import Course, Enrollment, Module, Question, Role, Section
from reflect_site.input import validate_savable_text


class QuestionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, question: Question) -> str:
        return f"M{question.module.number:02d} Q{question.number}. {question.title}"


class ModuleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, module: Module) -> str:
        return f"M{module.number:02d}. {module.title} (every question)"


class ExtensionForm(forms.Form):
    student = forms.CharField(
        required=False, max_length=254, label="Student", strip=True,
        help_text="Username or e-mail of one student in this course.",
    )
    section = forms.ModelChoiceField(
        queryset=Section.objects.none(), required=False, empty_label="—", label="…or a whole section",
        error_messages={"invalid_choice": "That section is not one of this course's."},
    )
    question = QuestionChoiceField(
        queryset=Question.objects.none(), required=False, empty_label="—", label="Question",
        error_messages={"invalid_choice": "That question is not one of this course's."},
    )
    module = ModuleChoiceField(
        queryset=Module.objects.none(), required=False, empty_label="—", label="…or a whole module",
        error_messages={"invalid_choice": "That module is not one of this course's."},
    )
    due_at = datetime_field("New deadline")
    reason = forms.CharField(
        max_length=REASON_MAX, label="Reason", strip=True, validators=[validate_savable_text],
        widget=forms.TextInput(attrs={"size": 60}),
        error_messages={"required": "Give a reason: it is kept with the extension."},
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["due_at"].required = True
        self.fields["due_at"].error_messages["required"] = "Give the new deadline."
        self.fields["section"].queryset = course.sections.all()
        self.fields["question"].queryset = (
            Question.objects.filter(module__course=course).select_related("module").order_by("module__number", "number")
        )
        self.fields["module"].queryset = course.modules.order_by("number")

    def clean_student(self):
        name = self.cleaned_data["student"]
        if not name:
            return None
        enrollment = (
            Enrollment.objects.active().filter(course=self.course, role=Role.STUDENT)
            .filter(Q(user__username__iexact=name) | Q(user__email__iexact=name))
            .select_related("user").first()
        )
        if enrollment is None:
            raise forms.ValidationError(f"No student “{name[:60]}” in this course.")
        return enrollment.user

    def clean(self):
        data = super().clean()
        if "student" in data and "section" in data and (data["student"] is None) == (data["section"] is None):
            raise forms.ValidationError("Choose one student or one section (not both).")
        if "question" in data and "module" in data and (data["question"] is None) == (data["module"] is None):
            raise forms.ValidationError("Choose one question or one whole module (not both).")
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX, label="Reason", strip=True, validators=[validate_savable_text],
        error_messages={"required": "Give a reason for taking the extension back."},
    )
