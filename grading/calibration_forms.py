"""Forms of the calibration pages: types and ranges at the boundary; the rules are grading.calibration's."""

from django import forms

from grading.forms import _band_field, _score_field
from reflect_site.input import INT32_MAX


class ExemplarForm(forms.Form):
    """An answer made an exemplar, with its reference band and score."""

    response = forms.IntegerField(min_value=1, max_value=INT32_MAX, error_messages={
        "required": "Pick an answer.", "invalid": "That is not one of this question's answers.",
        "min_value": "That is not one of this question's answers.",
        "max_value": "That is not one of this question's answers.",
    })
    band = _band_field()
    score = _score_field()


class CalibrationForm(forms.Form):
    """A grader's band and score for one exemplar."""

    band = _band_field()
    score = _score_field()
