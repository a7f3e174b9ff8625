"""Forms of the double-marking pages: types and ranges at the boundary; the rules are grading.double_marking's."""

from django import forms

from grading.forms import _band_field, _score_field, _text_field


class DoubleMarkingForm(forms.Form):
    """The share of a question's answers to double-mark, in percent."""

    share = forms.IntegerField(min_value=0, max_value=100, error_messages={
        "required": "Give a share from 0 to 100 percent.", "invalid": "The share must be a whole percentage.",
        "min_value": "The share can't be below 0%%.", "max_value": "The share can't be above 100%%.",
    })


class SecondMarkForm(forms.Form):
    """A blind second mark: band, score and notes for the moderator."""

    band = _band_field()
    score = _score_field()
    feedback = _text_field(required=False, max_length=20_000, widget=forms.Textarea)
