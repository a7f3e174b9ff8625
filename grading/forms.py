"""Forms of the grading pages. They check types and ranges at the boundary, so services get ints;
whether a band belongs to the question and a score to the band is services.grade_check's rule."""

from django import forms

from courses.models import Question, Response
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


class GradeForm(forms.Form):
    """What a grader posts: band, score, feedback and the grade version the page showed (0 for new)."""

    band = _band_field()
    score = _score_field()
    feedback = _text_field(required=False, widget=forms.Textarea)
    version = _version_field(required="The form lost its grade version; reload.")
    resolve = forms.BooleanField(required=False)


class RegradeRequestForm(forms.Form):
    reason = _text_field(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why you think the grade should change."},
    )


class RegradeAnswerForm(forms.Form):
    reply = _text_field(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write a reply to the student."},
    )
    band = _band_field()
    score = _score_field()
    feedback = _text_field(required=False, widget=forms.Textarea)
    version = _version_field()


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
