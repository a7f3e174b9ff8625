"""Forms of the grading pages; the band/score rules live in services.grade_check."""

from django import forms


class GradeForm(forms.Form):
    """What a grader posts: band, score, feedback and the grade version the page showed (0 for new)."""

    band = forms.CharField(required=False)
    score = forms.CharField(required=False)
    feedback = forms.CharField(required=False, widget=forms.Textarea)
    version = forms.IntegerField(min_value=0, error_messages={"required": "The form lost its grade version; reload."})
    resolve = forms.BooleanField(required=False)


class RegradeRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why you think the grade should change."},
    )


class RegradeAnswerForm(forms.Form):
    reply = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write a reply to the student."},
    )
    band = forms.CharField(required=False)
    score = forms.CharField(required=False)
    version = forms.IntegerField(min_value=0)


class CommentForm(forms.Form):
    text = forms.CharField(max_length=2000, error_messages={"required": "A comment needs some text."})


class ReleaseForm(forms.Form):
    released = forms.TypedChoiceField(choices=[("1", "Release"), ("0", "Withdraw")], coerce=lambda v: v == "1")
