"""The activation functions and their derivatives, in vectorised numpy.

Every function takes an array of float16, float32 or float64 and returns an
array of the same dtype and shape. Over the whole finite range of each dtype
they raise no floating-point warning and return no NaN: Sigmoid uses the
two-branch form, Softmax subtracts the maximum, and every intermediate that
could overflow (x², x³, x − max) is bounded first.

float16 is computed in float32 and rounded once at the end, which is what
numpy's own float16 loops do for each operation; doing it once keeps the
result within an ulp or so. GELU uses scipy's erfc/erfcx because numpy has no
error function and a short rational approximation is not accurate to float64;
its float16/float32 inputs are evaluated in float64, where the rounding of
x/√2 that erfc amplifies in the tail is far below their ulp.

`softmax_naive` and `softmax_clipped` are teaching variants for the stability
lab: they overflow on purpose and are never used elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erfc, erfcx

DTYPES: dict[str, type[np.floating]] = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
JACOBIAN_MAX = 32
LEAKY_SLOPE = 0.01
# The course's first Softmax clipped its inputs to this range before exp.
CLIP_LIMIT = 500.0

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715
# Beyond |x| = 40, exp(-x²/2) underflows to zero in every dtype while 40² is
# still finite in float16, so clipping there changes no result.
_GAUSS_BOUND = 40.0
# Beyond |x| = 30 the tanh-GELU gate is exactly 0 or 1 in every dtype, and 30³ fits in float16.
_TANH_BOUND = 30.0
# Dekker's splitting constant, 2^27 + 1: splits a float64 into two halves whose products are exact.
_SPLITTER = 134217729.0


def _work(x: np.ndarray) -> np.ndarray:
    """The array in the dtype its arithmetic is done in: float16 widens to float32."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _sigmoid_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """σ(z) and e = exp(−|z|), the two-branch way, so nothing overflows.

    σ(z) = exp(min(z, 0)) / (1 + exp(−|z|)) is 1/(1 + e^−z) for z ≥ 0 and e^z/(1 + e^z) below, with
    every exp ≤ 1. Two exps cost less than choosing a branch per element with np.where, which
    mispredicts on mixed signs.
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    sigma = np.minimum(z, 0)
    np.exp(sigma, out=sigma)
    sigma /= 1.0 + e
    return sigma, e


# --- ReLU ---------------------------------------------------------------------------------------

def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    # The subgradient at 0 is taken as 0, as the major frameworks do.
    return (x > 0).astype(x.dtype)


# --- LeakyReLU ----------------------------------------------------------------------------------

def leaky_relu(x: np.ndarray, slope: float = LEAKY_SLOPE) -> np.ndarray:
    # For 0 ≤ slope ≤ 1, max(x, slope·x) is x above 0 and slope·x below, without np.where's branches.
    if 0 <= slope <= 1:
        return np.maximum(x, x * x.dtype.type(slope))
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_derivative(x: np.ndarray, slope: float = LEAKY_SLOPE) -> np.ndarray:
    return np.where(x > 0, x.dtype.type(1), x.dtype.type(slope))


# --- Sigmoid ------------------------------------------------------------------------------------

def sigmoid(x: np.ndarray) -> np.ndarray:
    w = _work(x)
    sigma = np.minimum(w, 0)  # exp(min(x, 0)) / (1 + exp(−|x|)): see _sigmoid_parts
    np.exp(sigma, out=sigma)
    e = np.abs(w)
    np.negative(e, out=e)
    np.exp(e, out=e)
    e += 1.0
    sigma /= e
    return sigma.astype(x.dtype, copy=False)


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    # σ(x)·σ(−x) rather than σ(1 − σ): 1 − σ(x) cancels to 0 for large x.
    e = np.exp(-np.abs(_work(x)))
    return (e / np.square(1.0 + e)).astype(x.dtype, copy=False)


# --- Tanh ---------------------------------------------------------------------------------------

def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    # sech²(x) = 4e/(1+e)² with e = exp(−2|x|), squared from exp(−|x|) so −2|x| cannot overflow;
    # 1 − tanh² would cancel to 0 long before the true value underflows.
    h = np.exp(-np.abs(_work(x)))
    return np.square(2.0 * h / (1.0 + h * h)).astype(x.dtype, copy=False)


# --- GELU (exact) -------------------------------------------------------------------------------

def _half_square(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x²/2 as an unevaluated float64 sum hi + lo, exact for |x| ≤ 2^{25}."""
    c = _SPLITTER * x
    high = c - (c - x)
    low = x - high
    hi = x * x
    lo = ((high * high - hi) + 2.0 * high * low) + low * low
    return 0.5 * hi, 0.5 * lo


def _gauss_tail(x: np.ndarray) -> np.ndarray:
    """exp(−x²/2) for float64 x in [−40, 40], with x² carried in double-float64.

    A single rounding of x² would cost up to x²/2 ulps in the result, hundreds in the tail.
    """
    hi, lo = _half_square(x)
    return np.exp(-hi) * (1.0 - lo)


def gelu(x: np.ndarray) -> np.ndarray:
    """x·Φ(x), with Φ from erfc so the negative tail keeps its relative accuracy."""
    if x.dtype != np.float64:
        # float64 arithmetic is far more precise than float16/32 needs; round once.
        w = x.astype(np.float64)
        return (w * (0.5 * erfc(-_SQRT_HALF * w))).astype(x.dtype)
    y = x * (0.5 * erfc(-_SQRT_HALF * x))
    # For x < −1, erfc(|x|/√2) loses ~x²/2 ulps to the rounding of |x|/√2 and of its own x²;
    # x·Φ(x) = x·½·erfcx(z)·exp(−x²/2) keeps it to a few. Integer indices (take/put) cost a
    # fraction of boolean-mask indexing.
    tail = np.flatnonzero(x < -1.0)
    if tail.size:
        xt = x.take(tail)
        t = np.maximum(xt, -_GAUSS_BOUND)
        y.put(tail, (xt * (0.5 * erfcx(-_SQRT_HALF * t))) * _gauss_tail(t))
    return y


def gelu_derivative(x: np.ndarray) -> np.ndarray:
    """Φ(x) + x·φ(x)."""
    if x.dtype != np.float64:
        w = x.astype(np.float64)
        b = np.clip(w, -_GAUSS_BOUND, _GAUSS_BOUND)
        return (0.5 * erfc(-_SQRT_HALF * w) + b * (_INV_SQRT_2PI * np.exp(-0.5 * b * b))).astype(x.dtype)
    b = np.clip(x, -_GAUSS_BOUND, _GAUSS_BOUND)
    d = 0.5 * erfc(-_SQRT_HALF * x) + b * (_INV_SQRT_2PI * np.exp(-0.5 * b * b))
    tail = np.flatnonzero(x < -1.0)
    if tail.size:
        # φ(x)·(x + R(x)) with the Mills ratio R = Φ/φ = √(π/2)·erfcx(−x/√2): no cancellation.
        t = b.take(tail)
        d.put(tail, (_INV_SQRT_2PI * _gauss_tail(t)) * (t + _SQRT_HALF_PI * erfcx(-_SQRT_HALF * t)))
    return d


# --- GELU (tanh approximation) ------------------------------------------------------------------

def _tanh_gate_argument(w: np.ndarray) -> np.ndarray:
    """2u where u = √(2/π)(x + 0.044715x³); ½(1 + tanh u) = σ(2u), which keeps the negative tail."""
    b = np.clip(w, -_TANH_BOUND, _TANH_BOUND)
    return (2.0 * _TANH_C) * (b + _TANH_K * (b * b * b))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    w = _work(x)
    gate = _sigmoid_parts(_tanh_gate_argument(w))[0]
    gate *= w
    return gate.astype(x.dtype, copy=False)


def gelu_tanh_derivative(x: np.ndarray) -> np.ndarray:
    w = _work(x)
    b = np.clip(w, -_TANH_BOUND, _TANH_BOUND)
    gate, e = _sigmoid_parts(_tanh_gate_argument(w))
    # d/dx x·σ(2u) = σ(2u) + x·σ(2u)σ(−2u)·2u′, with σ(2u)σ(−2u) = e/(1+e)²; beyond the bound
    # that product is 0, so b stands in for x.
    slope = (2.0 * _TANH_C) * (1.0 + 3.0 * _TANH_K * (b * b))
    return (gate + b * (e / np.square(1.0 + e)) * slope).astype(x.dtype, copy=False)


# --- Softmax ------------------------------------------------------------------------------------

def _shifted(w: np.ndarray, axis: int) -> np.ndarray:
    """w − max(w) along `axis`, as a new array, without overflowing."""
    peak = w.max(axis=axis, keepdims=True)
    # x − max can overflow when max is large and x very negative; flooring x at max(peak, 0) − fmax
    # keeps it finite, and exp of anything that far below is 0 anyway. Checked first: it is rare.
    floor = np.maximum(peak, 0) - np.finfo(w.dtype).max
    if (w.min(axis=axis, keepdims=True) < floor).any():
        w = np.maximum(w, floor)
    return np.subtract(w, peak)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x − max) / Σ exp(x − max) along `axis`."""
    e = _shifted(_work(x), axis)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e.astype(x.dtype, copy=False)


def softmax_steps(x: np.ndarray, variant: str, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The numerators, denominator and result of one Softmax variant, for showing where inf and nan appear.

    "naive" is exp(x) / Σ exp(x); "clipped" clips x to ±500 first, as the course's first version did;
    both are computed in the input dtype and overflow on purpose. "stable" shifts by the maximum.
    """
    if variant == "stable":
        e = np.exp(_shifted(_work(x), axis))
        total = e.sum(axis=axis, keepdims=True)
        return e.astype(x.dtype), total.astype(x.dtype), (e / total).astype(x.dtype)
    if variant not in ("naive", "clipped"):
        raise ValueError(f"unknown Softmax variant {variant!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.clip(x, -CLIP_LIMIT, CLIP_LIMIT) if variant == "clipped" else x)
        total = e.sum(axis=axis, keepdims=True)
        return e, total, e / total


def softmax_naive(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Teaching variant: exp(x) / Σ exp(x) in the input dtype, overflowing to inf and nan on purpose."""
    return softmax_steps(x, "naive", axis)[2]


def softmax_clipped(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Teaching variant: the course's first version, clipping inputs to ±500 before exp.

    Still overflows in float16/float32 (exp(500) > their max) and, where it does not,
    flattens every input above 500 to the same probability.
    """
    return softmax_steps(x, "clipped", axis)[2]


def softmax_jacobian(y: np.ndarray) -> np.ndarray:
    """∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ) from a Softmax output `y` of at most JACOBIAN_MAX entries."""
    if y.ndim != 1 or y.size > JACOBIAN_MAX:
        raise ValueError(f"the Jacobian is only computed for one vector of at most {JACOBIAN_MAX} values")
    with np.errstate(invalid="ignore"):  # a naive variant's nan passes through, as it should
        return np.diag(y) - np.outer(y, y)


SOFTMAX_VARIANTS: dict[str, Callable[..., np.ndarray]] = {
    "stable": softmax,
    "naive": softmax_naive,
    "clipped": softmax_clipped,
}


@dataclass(frozen=True)
class Activation:
    """One function the labs and the API offer: its value, derivative and the plain-numpy formula."""

    name: str
    label: str
    formula: str
    function: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray] | None  # None for Softmax: see softmax_jacobian
    takes_slope: bool = False

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None

    def __str__(self) -> str:
        return self.label


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", "ReLU", "max(x, 0)", relu, relu_derivative),
        Activation("leaky_relu", "LeakyReLU", "x if x > 0 else slope·x", leaky_relu, leaky_relu_derivative,
                   takes_slope=True),
        Activation("sigmoid", "Sigmoid", "1 / (1 + exp(−x))", sigmoid, sigmoid_derivative),
        Activation("tanh", "Tanh", "tanh(x)", tanh, tanh_derivative),
        Activation("gelu", "GELU (exact)", "x·Φ(x)", gelu, gelu_derivative),
        Activation("gelu_tanh", "GELU (tanh approx.)", "½x(1 + tanh(√(2/π)(x + 0.044715x³)))", gelu_tanh,
                   gelu_tanh_derivative),
        Activation("softmax", "Softmax", "exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x)", softmax, None),
    )
}
