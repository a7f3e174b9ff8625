"""The lab pages' forms: they work as plain GET/POST forms, so every table renders without JavaScript."""

from __future__ import annotations

import numpy as np
from django import forms

from activations.benchmark import N_MAX, N_MIN
from activations.evaluation import PayloadError, parse_vector
from activations.functions import ACTIVATIONS, DTYPES, LEAKY_SLOPE
from activations.labs import COST_DEFAULT_N, PRECISION_DEFAULT, PRECISION_FUNCTION, STABILITY_DEFAULT, parse_text_vector

FUNCTION_CHOICES = [(a.name, a.label) for a in ACTIVATIONS.values()]
DTYPE_CHOICES = [(name, name) for name in DTYPES]
MAX_POINTS = 1001
STABILITY_MAX_VALUES = 16
PRECISION_MAX_VALUES = 50


def _vector_text(values) -> str:
    return ", ".join(f"{v:.6g}" for v in values)


class _VectorForm(forms.Form):
    max_values = 0

    def _parse(self, text: str, dtype: str = "float64") -> np.ndarray:
        try:
            x = parse_text_vector(text, dtype)
        except PayloadError as error:
            raise forms.ValidationError(str(error)) from None
        if x.size > self.max_values:
            raise forms.ValidationError(f"This lab shows at most {self.max_values} values; you gave {x.size}.")
        return x


class ExplorerForm(_VectorForm):
    functions = forms.MultipleChoiceField(choices=FUNCTION_CHOICES, widget=forms.CheckboxSelectMultiple)
    dtype = forms.ChoiceField(choices=DTYPE_CHOICES)
    start = forms.FloatField(min_value=-1e4, max_value=1e4)
    stop = forms.FloatField(min_value=-1e4, max_value=1e4)
    points = forms.IntegerField(min_value=2, max_value=MAX_POINTS)
    vector = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Or paste numbers (commas or spaces) to evaluate instead of the range.",
    )
    slope = forms.FloatField(min_value=0, max_value=1, help_text="LeakyReLU's slope for x < 0.")
    max_values = MAX_POINTS

    DEFAULTS = {"functions": ["relu", "gelu"], "dtype": "float32", "start": -5, "stop": 5, "points": 101,
                "vector": "", "slope": LEAKY_SLOPE}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data["vector"].strip():
            try:
                data["x"] = self._parse(data["vector"], data["dtype"])
            except forms.ValidationError as error:
                self.add_error("vector", error)
        elif data["start"] >= data["stop"]:
            self.add_error("stop", "The end of the range must be above its start.")
        else:
            values = np.linspace(data["start"], data["stop"], data["points"]).tolist()
            data["x"] = parse_vector(values, data["dtype"])
        return data


class StabilityForm(_VectorForm):
    x = forms.CharField(label="Logits", help_text="Numbers separated by commas or spaces.")
    max_values = STABILITY_MAX_VALUES
    DEFAULTS = {"x": _vector_text(STABILITY_DEFAULT)}

    def clean_x(self) -> np.ndarray:
        return self._parse(self.cleaned_data["x"])


class PrecisionForm(_VectorForm):
    function = forms.ChoiceField(choices=FUNCTION_CHOICES)
    x = forms.CharField(label="Input", help_text="Numbers separated by commas or spaces, within ±65504.")
    slope = forms.FloatField(min_value=0, max_value=1)
    max_values = PRECISION_MAX_VALUES
    DEFAULTS = {"function": PRECISION_FUNCTION, "x": _vector_text(PRECISION_DEFAULT), "slope": LEAKY_SLOPE}

    def clean_x(self) -> np.ndarray:
        return self._parse(self.cleaned_data["x"])


class CostForm(forms.Form):
    functions = forms.MultipleChoiceField(choices=FUNCTION_CHOICES, widget=forms.CheckboxSelectMultiple)
    n = forms.IntegerField(min_value=N_MIN, max_value=N_MAX, label="Elements (n)")
    dtype = forms.ChoiceField(choices=DTYPE_CHOICES)
    DEFAULTS = {"functions": list(ACTIVATIONS), "n": COST_DEFAULT_N, "dtype": "float32"}
