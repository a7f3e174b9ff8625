"""The near-duplicate pages' forms: the threshold of a check, and a reviewer's mark and note on a pair."""

from __future__ import annotations

from django import forms

from grading.similarity import DEFAULT_THRESHOLD, THRESHOLD_MAX, THRESHOLD_MIN

NOTE_MAX = 2000
THRESHOLD_MESSAGE = f"Choose a threshold between {THRESHOLD_MIN} and {THRESHOLD_MAX}, such as {DEFAULT_THRESHOLD}."


class SimilarityCheckForm(forms.Form):
    threshold = forms.FloatField(
        min_value=THRESHOLD_MIN, max_value=THRESHOLD_MAX, initial=DEFAULT_THRESHOLD,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        error_messages={"required": THRESHOLD_MESSAGE, "invalid": THRESHOLD_MESSAGE,
                        "min_value": THRESHOLD_MESSAGE, "max_value": THRESHOLD_MESSAGE},
    )


class SimilarPairReviewForm(forms.Form):
    reviewed = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=NOTE_MAX, strip=True, error_messages={
        "max_length": f"Keep the note under {NOTE_MAX:,} characters; nothing was saved.",
    })
