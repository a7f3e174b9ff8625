"""Forms of the grading-team pages: they check choices against the course, so services get users and ids."""

from __future__ import annotations

from django import forms

from courses.models import Course, Question
from grading.assignments import AssignmentScope, course_graders

MODE_SECTION = "section"
MODE_ROUND_ROBIN = "round_robin"
MODE_HAND = "hand"
MODES = [
    (MODE_SECTION, "By section: each answer to a TA of the student's section"),
    (MODE_ROUND_ROBIN, "Round-robin between the graders chosen"),
    (MODE_HAND, "By hand: the answers ticked, to one grader"),
]


class _GraderChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class _GradersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class AssignForm(forms.Form):
    """One assignment action on one question."""

    mode = forms.ChoiceField(choices=MODES, error_messages={"invalid_choice": "Choose how to assign the answers."})
    scope = forms.ChoiceField(
        choices=AssignmentScope.CHOICES, required=False, initial=AssignmentScope.UNASSIGNED,
        error_messages={"invalid_choice": "Choose which answers to assign."},
    )
    graders = _GradersChoice(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "That grader is not a TA or instructor of this course.",
                        "invalid_pk_value": "That grader is not a TA or instructor of this course."},
    )
    grader = _GraderChoice(
        queryset=None, required=False,
        error_messages={"invalid_choice": "That grader is not a TA or instructor of this course."},
    )
    responses = forms.TypedMultipleChoiceField(
        coerce=int, required=False, choices=(),
        error_messages={"invalid_choice": "Some chosen answers are not submitted answers to this question; "
                                          "reload the page."},
    )

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        graders = course_graders(question.module.course)
        self.fields["graders"].queryset = graders
        self.fields["grader"].queryset = graders
        # Any submitted answer of the question may be ticked; the service re-checks who wrote it.
        self.fields["responses"].choices = [(str(pk), str(pk)) for pk in self._posted_ids()]
        self.question = question

    def _posted_ids(self) -> list[int]:
        raw = self.data.getlist("responses") if hasattr(self.data, "getlist") else []
        return [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) < 10]

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == MODE_ROUND_ROBIN and not data.get("graders") and "graders" not in self.errors:
            self.add_error("graders", "Choose at least one grader to share the answers between.")
        if mode == MODE_HAND:
            if not data.get("grader") and "grader" not in self.errors:
                self.add_error("grader", "Choose the grader to give the ticked answers to.")
            if not data.get("responses") and "responses" not in self.errors:
                self.add_error("responses", "Tick at least one answer to assign.")
        if mode in (MODE_SECTION, MODE_ROUND_ROBIN) and not data.get("scope"):
            data["scope"] = AssignmentScope.UNASSIGNED
        return data


class ReassignForm(forms.Form):
    """Move one grader's answers to others, e.g. when a TA leaves."""

    from_grader = _GraderChoice(
        queryset=None, label="Move the answers of",
        error_messages={"required": "Choose whose answers to move.",
                        "invalid_choice": "That grader is not a TA or instructor of this course."},
    )
    to_graders = _GradersChoice(
        queryset=None, label="To", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one grader to take them.",
                        "invalid_choice": "That grader is not a TA or instructor of this course.",
                        "invalid_pk_value": "That grader is not a TA or instructor of this course."},
    )
    include_graded = forms.BooleanField(
        required=False, label="Also move answers they have graded already (their progress then moves too)",
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        graders = course_graders(course)
        self.fields["from_grader"].queryset = graders
        self.fields["to_graders"].queryset = graders
