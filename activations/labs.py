"""The numbers behind the lab pages and the panels shown beside questions.

Each builder returns plain dicts and strings ready for a template: numbers are already
formatted, and non-finite values carry a CSS class so inf and nan stand out. All of them
are cheap (a few dozen values), so pages compute them on every request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.urls import reverse

from activations.evaluation import EvaluateRequest, PayloadError, encode_floats, evaluate, parse_vector
from activations.functions import ACTIVATIONS, DTYPES, LEAKY_SLOPE, softmax_steps

STABILITY_DEFAULT = (1000.0, 1001.0, 1002.0)
PRECISION_DEFAULT = (0.1, 0.2, 0.3, 2.5, 3.14159, 1000.1, -7.3)
PRECISION_FUNCTION = "relu"
COST_DEFAULT_N = 200_000
EXPLORER_PANEL_X = (-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0)
EXPLORER_PANEL_FUNCTIONS = ("relu", "sigmoid", "tanh", "gelu")
# Teaching order: what breaks, the patch, the fix.
VARIANT_LABELS = {
    "naive": ("naive", "exp(x) / Σ exp(x)"),
    "clipped": ("clipped", "exp(clip(x, −500, 500)) / Σ"),
    "stable": ("stable", "exp(x − max x) / Σ"),
}


@dataclass(frozen=True)
class Cell:
    """One formatted number; `css` is "inf" or "nan" when the value is not finite."""

    text: str
    css: str = ""

    def __str__(self) -> str:
        return self.text


def cell(value, digits: int = 6) -> Cell:
    value = float(value)
    if math.isnan(value):
        return Cell("nan", "nan")
    if math.isinf(value):
        return Cell("inf" if value > 0 else "-inf", "inf")
    return Cell(f"{value:.{digits}g}")


def exact_cell(value: np.floating) -> Cell:
    """The value to 17 significant digits, enough to tell any two float64s apart.

    The same width for every dtype shows what the dtype really stores: float16's 0.1 is 0.0999755859375.
    """
    return cell(value, 17)


def parse_text_vector(text: str, dtype: str = "float64") -> np.ndarray:
    """Numbers typed or pasted as text (commas, spaces or new lines) as an array, or PayloadError."""
    tokens = [t for t in text.replace(",", " ").replace("[", " ").replace("]", " ").split() if t]
    values: list[float] = []
    for i, token in enumerate(tokens):
        try:
            values.append(float(token))
        except ValueError:
            raise PayloadError(f"Entry {i + 1}, '{token[:30]}', is not a number.") from None
    if any(not math.isfinite(v) for v in values):
        raise PayloadError("Only finite numbers can be evaluated; remove inf and nan.")
    return parse_vector(values, dtype)


def stability_table(x: np.ndarray) -> list[dict]:
    """Softmax of `x` through each variant in each dtype: the exponentials, their sum, the result, the damage."""
    reference = softmax_steps(x.astype(np.float64), "stable")[2]
    rows = []
    for variant, (label, formula) in VARIANT_LABELS.items():
        for dtype_name, dtype in DTYPES.items():
            row = {"variant": variant, "variant_label": label, "formula": formula, "dtype": dtype_name}
            if np.abs(x).max() > np.finfo(dtype).max:
                row["unavailable"] = f"the input does not fit in {dtype_name}"
                rows.append(row)
                continue
            exps, total, y = softmax_steps(x.astype(dtype), variant)
            wide = y.astype(np.float64)
            finite = np.isfinite(wide).all()
            row.update(
                exps=[cell(v) for v in exps],
                total=cell(total.ravel()[0]),
                y=[cell(v) for v in y],
                overflowed=not np.isfinite(exps).all() or not np.isfinite(total).all(),
                broken=not finite,
                error=cell(np.abs(wide - reference).max(), 3) if finite else Cell("—", "nan"),
            )
            rows.append(row)
    return rows


def precision_table(function: str, x: np.ndarray, slope: float = LEAKY_SLOPE) -> dict:
    """One input through `function` in float16, float32 and float64, and how far each is from float64."""
    limit = float(np.finfo(np.float16).max)
    if np.abs(x).max() > limit:
        raise PayloadError(f"The precision lab compares float16 too, so every input must be within ±{limit:g}.")
    activation = ACTIVATIONS[function]
    outputs = {
        name: evaluate(EvaluateRequest(activation, x.astype(dtype), name, "stable", slope)).y
        for name, dtype in DTYPES.items()
    }
    reference = outputs["float64"]
    summary = []
    for name in DTYPES:
        difference = np.abs(outputs[name].astype(np.float64) - reference)
        nonzero = reference != 0
        relative = difference[nonzero] / np.abs(reference[nonzero])
        summary.append({
            "dtype": name,
            "max_abs": cell(difference.max(), 3),
            "max_rel": cell(relative.max(), 3) if relative.size else Cell("—"),
            "identical": not difference.any(),
            "eps": cell(np.finfo(DTYPES[name]).eps, 3),
        })
    rows = [
        {
            "x": {name: exact_cell(x.astype(dtype)[i]) for name, dtype in DTYPES.items()},
            "y": {name: exact_cell(outputs[name][i]) for name in DTYPES},
        }
        for i in range(x.size)
    ]
    return {"function": activation, "dtypes": list(DTYPES), "rows": rows, "summary": summary}


def explorer_table(functions: list[str], x: np.ndarray, dtype: str, slope: float = LEAKY_SLOPE) -> dict:
    """f and f′ of each function at each x, for the table (and the plot's first drawing)."""
    series = []
    for name in functions:
        activation = ACTIVATIONS[name]
        result = evaluate(EvaluateRequest(activation, x, dtype, "stable", slope))
        if result.dy is not None:
            dy = result.dy
        elif result.jacobian is not None:
            dy = np.diagonal(result.jacobian)  # ∂yᵢ/∂xᵢ, what a plot of f′ can show for Softmax
        else:
            dy = None
        series.append({"activation": activation, "y": result.y, "dy": dy})
    rows = [
        {
            "x": cell(x[i]),
            "values": [(cell(s["y"][i]), cell(s["dy"][i]) if s["dy"] is not None else Cell("—")) for s in series],
        }
        for i in range(x.size)
    ]
    return {"series": series, "rows": rows}


def explorer_plot_data(table: dict, x: np.ndarray) -> dict:
    """The same numbers as JSON-ready lists for the page's script (json_script)."""
    return {
        "x": encode_floats(x),
        "series": [
            {
                "function": s["activation"].name,
                "label": s["activation"].label,
                "y": encode_floats(s["y"]),
                "dy": encode_floats(s["dy"]) if s["dy"] is not None else None,
            }
            for s in table["series"]
        ],
    }


LAB_PAGES = {
    "explorer": ("Activation explorer", "activations:explorer"),
    "cost": ("Cost lab: ReLU against Softmax and friends", "activations:cost_lab"),
    "stability": ("Softmax stability lab", "activations:stability_lab"),
    "precision": ("Precision lab: one input, three dtypes", "activations:precision_lab"),
}


def lab_panel_context(lab: str) -> dict:
    """What templates/activations/_lab_panel.html shows for a question's lab ("" shows nothing)."""
    if lab not in LAB_PAGES:
        return {"lab": ""}
    title, url_name = LAB_PAGES[lab]
    context = {"lab": lab, "title": title, "url": reverse(url_name)}
    if lab == "stability":
        x = np.array(STABILITY_DEFAULT)
        context["x_text"] = ", ".join(f"{v:g}" for v in STABILITY_DEFAULT)
        context["rows"] = stability_table(x)
    elif lab == "precision":
        context["precision"] = precision_table(PRECISION_FUNCTION, np.array(PRECISION_DEFAULT))
    elif lab == "explorer":
        x = np.array(EXPLORER_PANEL_X, dtype=np.float32)
        context["explorer"] = explorer_table(list(EXPLORER_PANEL_FUNCTIONS), x, "float32")
    elif lab == "cost":
        from activations.forms import CostForm  # the forms build on this module's defaults

        context["form"] = CostForm(initial=CostForm.DEFAULTS)
    return context

