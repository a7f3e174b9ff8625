"""High-precision references (mpmath) and the ulp distance the accuracy tests measure with."""

from __future__ import annotations

import mpmath as mp
import numpy as np

from activations.functions import DTYPES

mp.mp.dps = 80

_TANH_C = mp.sqrt(2 / mp.pi)


def _sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def _gelu_tanh_gate(x):
    return _sigmoid(2 * _TANH_C * (x + mp.mpf("0.044715") * x**3))


def _gelu(x):
    # mpmath's ncdf cannot take |x| ~ 1e300; beyond 50, x·Φ(x) is x or below every subnormal.
    if abs(x) > 50:
        return x if x > 0 else mp.mpf(0)
    return x * mp.ncdf(x)


def _gelu_derivative(x):
    if abs(x) > 50:
        return mp.mpf(1 if x > 0 else 0)
    return mp.ncdf(x) + x * mp.npdf(x)


def _gelu_tanh_derivative(x):
    z = 2 * _TANH_C * (x + mp.mpf("0.044715") * x**3)
    dz = 2 * _TANH_C * (1 + 3 * mp.mpf("0.044715") * x**2)
    return _sigmoid(z) + x * _sigmoid(z) * _sigmoid(-z) * dz


def condition_number(function, x) -> mp.mpf:
    """|x·f′(x)/f(x)|: how many ulps of output one ulp of input is worth."""
    value = REFERENCES[function](x, None)
    if value == 0:
        return mp.mpf(0)
    return abs(x * DERIVATIVES[function](x, None) / value)


REFERENCES = {
    "relu": lambda x, s: max(x, mp.mpf(0)),
    "leaky_relu": lambda x, s: x if x > 0 else s * x,
    "sigmoid": lambda x, s: _sigmoid(x),
    "tanh": lambda x, s: mp.tanh(x),
    "gelu": lambda x, s: _gelu(x),
    "gelu_tanh": lambda x, s: x * _gelu_tanh_gate(x),
}
DERIVATIVES = {
    "relu": lambda x, s: mp.mpf(1 if x > 0 else 0),
    "leaky_relu": lambda x, s: mp.mpf(1) if x > 0 else s,
    "sigmoid": lambda x, s: _sigmoid(x) * _sigmoid(-x),
    "tanh": lambda x, s: mp.sech(x) ** 2,
    "gelu": lambda x, s: _gelu_derivative(x),
    "gelu_tanh": lambda x, s: _gelu_tanh_derivative(x),
}


def ulp_of(value, dtype) -> mp.mpf:
    """The spacing of `dtype` at |value| (its smallest subnormal at 0), as an exact mpf."""
    info = np.finfo(dtype)
    rounded = dtype(min(abs(float(value)), float(info.max)))
    if rounded == info.max:
        rounded = np.nextafter(rounded, dtype(0))  # spacing(max) itself overflows; the step below is the same
    return mp.mpf(float(np.spacing(rounded)))


def ulp_error(got, reference, dtype) -> float:
    """|got − reference| in ulps of `dtype` at the reference."""
    return float(abs(mp.mpf(float(got)) - reference) / ulp_of(reference, dtype))


def probe_points(dtype_name: str, seed: int = 0, random_count: int = 300) -> np.ndarray:
    """Inputs spanning the dtype's whole finite range: ±0, subnormals, tiny, ±1e4, ±max, and log-uniform samples."""
    dtype = DTYPES[dtype_name]
    info = np.finfo(dtype)
    magnitudes = [
        float(info.smallest_subnormal), float(info.smallest_subnormal) * 7, float(info.tiny) / 2, float(info.tiny),
        1e-30, 1e-7, 1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 26.0, 30.0, 37.5, 40.0, 60.0,
        88.7, 100.0, 700.0, 750.0, 1e4, 6e4, 1e30, 1e300, float(info.max),
    ]
    rng = np.random.default_rng(seed)
    exponents = rng.uniform(np.log10(float(info.smallest_subnormal)), np.log10(float(info.max)), random_count)
    with np.errstate(over="ignore"):
        magnitudes += list(10.0**exponents)
        magnitudes += list(rng.uniform(0, 45, random_count))
    values = [m for m in magnitudes if m <= float(info.max)]
    points = np.array(values + [-v for v in values] + [0.0], dtype=np.float64)
    points = points.astype(dtype)
    negative_zero = np.array([-0.0], dtype=dtype)
    return np.unique(np.concatenate([points, negative_zero]))
