"""Forms of the grading pages. They check types and ranges at the boundary, so services get ints;
whether a band belongs to the question and a score to the band is services.grade_check's rule."""

from django import forms

from courses.models import Question, Response, RubricCriterion
from reflect_site.input import INT32_MAX, validate_savable_text

NOT_A_BAND = "That band is not one of this question's bands."
NOT_A_SCORE = "The score must be a whole number."


def _band_field() -> forms.IntegerField:
    messages = {"invalid": NOT_A_BAND, "min_value": NOT_A_BAND, "max_value": NOT_A_BAND}
    return forms.IntegerField(required=False, min_value=1, max_value=INT32_MAX, error_messages=messages)


def _score_field() -> forms.IntegerField:
    messages = {"invalid": NOT_A_SCORE, "min_value": "The score can't be negative.",
                "max_value": "That score is above any question's points."}
    return forms.IntegerField(required=False, min_value=0, max_value=INT32_MAX, error_messages=messages)


def _version_field(**messages) -> forms.IntegerField:
    messages.setdefault("invalid", "The form's grade version is not a number; reload the page.")
    messages.setdefault("max_value", "The form's grade version is out of range; reload the page.")
    return forms.IntegerField(min_value=0, max_value=INT32_MAX, error_messages=messages)


def _text_field(**options) -> forms.CharField:
    """A text saved to the database: Django refuses NUL; lone surrogates are refused too."""
    return forms.CharField(validators=[validate_savable_text], **options)


def criterion_field_name(criterion: RubricCriterion) -> str:
    return f"criterion-{criterion.position}"


def criterion_inputs(criteria, *, grade=None, question=None) -> dict[str, str]:
    """The criteria's field names, with the grade's scores as the form starts when it was made against
    the current rubric (a grade of an older version is re-scored from empty boxes)."""
    scores = []
    if grade is not None and question is not None and grade.rubric_version == question.rubric_version:
        scores = grade.criterion_scores
    if len(scores) != len(criteria):
        scores = [""] * len(criteria)
    return {criterion_field_name(c): str(score) for c, score in zip(criteria, scores, strict=True)}


def _criterion_field(position: int, criterion: RubricCriterion) -> forms.IntegerField:
    name = f"Criterion {position}"
    top = f"{name} is worth at most {criterion.max_points}."
    return forms.IntegerField(
        min_value=0, max_value=criterion.max_points, label=criterion.description,
        error_messages={"required": f"Score every criterion: {name} has no score.",
                        "invalid": f"{name}'s score must be a whole number.",
                        "min_value": f"{name}'s score can't be negative.", "max_value": top},
    )


class CriterionScoresMixin:
    """Adds a bounded `criterion-<position>` field per criterion of an analytic rubric (none for bands)."""

    def add_criterion_fields(self, criteria, *, required: bool = True) -> None:
        self.criteria = list(criteria)
        for position, criterion in enumerate(self.criteria, start=1):
            field = _criterion_field(position, criterion)
            field.required = required
            self.fields[criterion_field_name(criterion)] = field

    def clean(self):
        data = super().clean()
        names = [criterion_field_name(criterion) for criterion in self.criteria]
        given = [name for name in names if data.get(name) is not None]
        if given and len(given) != len(names):  # only when optional: all or none
            missing = next(i for i, name in enumerate(names, start=1) if name not in given)
            raise forms.ValidationError(f"Score every criterion: Criterion {missing} has no score.")
        return data

    def criterion_scores(self) -> list[int] | None:
        """The posted scores in the rubric's order (after is_valid); None for a bands question, or when
        optional scores were all left empty."""
        scores = [self.cleaned_data.get(criterion_field_name(criterion)) for criterion in self.criteria]
        if not scores or None in scores:
            return None
        return scores


class GradeForm(CriterionScoresMixin, forms.Form):
    """What a grader posts: band and score (or a score per criterion of an analytic rubric), feedback and the
    grade version the page showed (0 for new). `criteria` are the question's, in order; empty for bands."""

    band = _band_field()
    score = _score_field()
    feedback = _text_field(required=False, widget=forms.Textarea)
    version = _version_field(required="The form lost its grade version; reload.")
    resolve = forms.BooleanField(required=False)

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_criterion_fields(criteria)


class RegradeRequestForm(forms.Form):
    reason = _text_field(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why you think the grade should change."},
    )


class RegradeAnswerForm(CriterionScoresMixin, forms.Form):
    reply = _text_field(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write a reply to the student."},
    )
    band = _band_field()
    score = _score_field()
    feedback = _text_field(required=False, widget=forms.Textarea)
    version = _version_field()

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_criterion_fields(criteria, required=False)  # left empty, the grade stays as it is


NOT_THIS_QUESTIONS_RESPONSE = "That response is not one of this question's; the comment was not added."


class CommentForm(forms.Form):
    """A comment for `question`'s bank, and the response to go back to (one of the question's, if given)."""

    text = _text_field(max_length=2000, error_messages={"required": "A comment needs some text."})
    response = forms.IntegerField(
        required=False, min_value=1, max_value=INT32_MAX,
        error_messages={key: NOT_THIS_QUESTIONS_RESPONSE for key in ("invalid", "min_value", "max_value")},
    )

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question

    def clean_response(self) -> int | None:
        pk = self.cleaned_data["response"]
        if pk is not None and not Response.objects.filter(pk=pk, question=self.question).exists():
            raise forms.ValidationError(NOT_THIS_QUESTIONS_RESPONSE)
        return pk


class ReleaseForm(forms.Form):
    released = forms.TypedChoiceField(choices=[("1", "Release"), ("0", "Withdraw")], coerce=lambda v: v == "1")


def first_error(form: forms.BaseForm) -> str:
    """The first of a form's error messages, to show as the page's one message."""
    return next(iter(form.errors.values()))[0]
