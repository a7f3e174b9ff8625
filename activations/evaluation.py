"""Reading the API's JSON into checked requests, evaluating them, and encoding the answer.

Every problem with the input raises PayloadError with a message that names it; the views
answer those with 400 {"error": message}. Nothing here touches the database.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from activations.functions import (
    ACTIVATIONS,
    DTYPES,
    JACOBIAN_MAX,
    LEAKY_SLOPE,
    SOFTMAX_VARIANTS,
    Activation,
    softmax_jacobian,
)
from reflect_site.input import InputError, read_json_object

MAX_VALUES = 10_000
DEFAULT_DTYPE = "float64"
DEFAULT_VARIANT = "stable"
EVALUATE_FIELDS = ("function", "x", "dtype", "variant", "slope")


class PayloadError(ValueError):
    """The request cannot be evaluated; the message says why, in words a student can act on."""


@dataclass(frozen=True)
class EvaluateRequest:
    activation: Activation
    x: np.ndarray
    dtype: str
    variant: str
    slope: float

    def __str__(self) -> str:
        return f"{self.activation.name}[{self.variant}] on {self.x.size} {self.dtype} values"


def choices_text(names) -> str:
    names = list(names)
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def parse_json_object(body: bytes) -> dict:
    """The body as a JSON object, or PayloadError. NaN and ±Infinity literals are read as floats,
    so parse_vector can name the entry; nesting and NUL/lone surrogates are refused by the shared reader."""
    try:
        return read_json_object(body, allow_non_finite=True)
    except InputError as error:
        raise PayloadError(error.message) from None


def reject_unknown_fields(data: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise PayloadError(f"Unknown field '{unknown[0]}'; the fields are {choices_text(allowed)}.")


def parse_function(value) -> Activation:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        shown = value if isinstance(value, str) else json.dumps(value)
        raise PayloadError(f"Unknown function '{shown[:40]}'; choose {choices_text(ACTIVATIONS)}.")
    return ACTIVATIONS[value]


def parse_dtype(value) -> str:
    if value is None:
        return DEFAULT_DTYPE
    if not isinstance(value, str) or value not in DTYPES:
        shown = value if isinstance(value, str) else json.dumps(value)
        raise PayloadError(f"Unknown dtype '{shown[:40]}'; choose {choices_text(DTYPES)}.")
    return value


def parse_variant(value, activation: Activation) -> str:
    if value is None:
        return DEFAULT_VARIANT
    shown = value if isinstance(value, str) else json.dumps(value)
    if activation.name == "softmax":
        if not isinstance(value, str) or value not in SOFTMAX_VARIANTS:
            raise PayloadError(f"Unknown variant '{shown[:40]}' for softmax; choose {choices_text(SOFTMAX_VARIANTS)}.")
    elif value != DEFAULT_VARIANT:
        raise PayloadError(
            f"Unknown variant '{shown[:40]}' for {activation.name}: it only has 'stable' "
            "(naive and clipped are Softmax teaching variants)."
        )
    return value


def parse_slope(value, activation: Activation) -> float:
    if value is None:
        return LEAKY_SLOPE
    if not activation.takes_slope:
        raise PayloadError(f"'slope' applies only to leaky_relu, not {activation.name}.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise PayloadError("'slope' must be a number from 0 to 1.")
    return float(value)


def parse_vector(values, dtype: str) -> np.ndarray:
    """A flat list of finite numbers as an array of `dtype`, or PayloadError naming the first bad entry."""
    if not isinstance(values, list):
        raise PayloadError("'x' must be a list of numbers, e.g. [1000, 1001, 1002].")
    if not values:
        raise PayloadError("'x' is empty; give at least one number.")
    if len(values) > MAX_VALUES:
        raise PayloadError(f"'x' has {len(values):,} values; at most {MAX_VALUES:,} are accepted.")
    limit = float(np.finfo(DTYPES[dtype]).max)
    floats = []
    for i, value in enumerate(values):
        if isinstance(value, list | dict):
            raise PayloadError(f"'x' must be a flat list of numbers; x[{i}] is a {type(value).__name__}.")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PayloadError(f"x[{i}] is not a number: {json.dumps(value)[:40]}.")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise PayloadError(f"x[{i}] is not finite; only finite numbers can be evaluated.")
        if abs(number) > limit:
            raise PayloadError(f"x[{i}] = {number:g} is outside the {dtype} range (±{limit:g}).")
        floats.append(number)
    return np.array(floats, dtype=np.float64).astype(DTYPES[dtype])


def evaluate_request_from(data: dict) -> EvaluateRequest:
    """Check an evaluate payload field by field."""
    reject_unknown_fields(data, EVALUATE_FIELDS)
    if "function" not in data:
        raise PayloadError(f"'function' is required; choose {choices_text(ACTIVATIONS)}.")
    activation = parse_function(data["function"])
    dtype = parse_dtype(data.get("dtype"))
    variant = parse_variant(data.get("variant"), activation)
    slope = parse_slope(data.get("slope"), activation)
    if "x" not in data:
        raise PayloadError("'x' is required: a list of numbers, e.g. [1000, 1001, 1002].")
    return EvaluateRequest(activation, parse_vector(data["x"], dtype), dtype, variant, slope)


_NON_FINITE = {math.inf: "inf", -math.inf: "-inf"}


def encode_floats(values: np.ndarray) -> list:
    """Plain floats for JSON, with nan/inf/-inf as strings since JSON has no such numbers."""
    wide = values.astype(np.float64)
    if np.isfinite(wide).all():
        return wide.tolist()
    return [v if math.isfinite(v) else _NON_FINITE.get(v, "nan") for v in wide.tolist()]


@dataclass(frozen=True)
class Evaluation:
    """y and, for element-wise functions, dy; for Softmax the Jacobian when it is small enough."""

    request: EvaluateRequest
    y: np.ndarray
    dy: np.ndarray | None
    jacobian: np.ndarray | None

    def __str__(self) -> str:
        return str(self.request)

    def as_json(self) -> dict:
        request = self.request
        body = {"function": request.activation.name, "dtype": request.dtype, "variant": request.variant}
        if request.activation.takes_slope:
            body["slope"] = request.slope
        body["y"] = encode_floats(self.y)
        if request.activation.elementwise:
            body["dy"] = encode_floats(self.dy)
        else:
            body["jacobian"] = None if self.jacobian is None else [encode_floats(row) for row in self.jacobian]
        return body


def evaluate(request: EvaluateRequest) -> Evaluation:
    """Run the requested function (and its derivative) on the request's vector."""
    activation = request.activation
    if activation.name == "softmax":
        y = SOFTMAX_VARIANTS[request.variant](request.x)
        jacobian = softmax_jacobian(y) if y.size <= JACOBIAN_MAX else None
        return Evaluation(request, y, None, jacobian)
    if activation.takes_slope:
        return Evaluation(request, activation.function(request.x, request.slope),
                          activation.derivative(request.x, request.slope), None)
    return Evaluation(request, activation.function(request.x), activation.derivative(request.x), None)
