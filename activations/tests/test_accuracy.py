"""Each function against an 80-digit mpmath reference over its dtype's whole finite range.

Tolerances, in ulps of the dtype at the reference value:
- float16 (computed wider and rounded once): 1 ulp for every function and derivative.
- ReLU and its derivative: exact. LeakyReLU: one rounding (½ ulp).
- float32/float64: Sigmoid 3, Sigmoid′ 4, Tanh 2, Tanh′ 4, GELU 4, GELU′ 4.
- Softmax, per entry: 4 ulps plus max|xⱼ − max x| — the rounding of x − max is absolute, and exp turns it
  into a relative error of that many ulps (an ulp of input is worth that much output, whatever the method).
- Where a derivative crosses zero (GELU′ near x ≈ −0.75 and GELU-tanh′ likewise) it is the difference of
  two O(1) terms, so an absolute 4·eps is accepted there instead.
- The tanh-approximate GELU is ill-conditioned in its negative tail (one ulp of x moves x³ and the gate by
  hundreds of ulps), so it gets 4 ulps plus 2 ulps per unit of its condition number |x·f′/f|.
"""

import mpmath as mp
import numpy as np
import pytest

from activations.functions import ACTIVATIONS, DTYPES, LEAKY_SLOPE, softmax
from activations.tests.reference import DERIVATIVES, REFERENCES, condition_number, probe_points, ulp_error

VALUE_ULPS = {"relu": 0, "leaky_relu": 0.5, "sigmoid": 3, "tanh": 2, "gelu": 4, "gelu_tanh": 4}
DERIVATIVE_ULPS = {"relu": 0, "leaky_relu": 0, "sigmoid": 4, "tanh": 4, "gelu": 4, "gelu_tanh": 4}
CROSSES_ZERO = {"gelu", "gelu_tanh"}


def _slope(dtype):
    return mp.mpf(float(dtype(LEAKY_SLOPE)))


def _failures(name, dtype_name, compute, reference, allowed_ulps):
    dtype = DTYPES[dtype_name]
    x = probe_points(dtype_name, random_count=60)
    got = compute(x)
    assert got.dtype == dtype and got.shape == x.shape
    failures = []
    for xi, yi in zip(x.tolist(), got.tolist(), strict=True):
        ref = reference(mp.mpf(xi), _slope(dtype))
        allowed = allowed_ulps if dtype_name != "float16" else max(allowed_ulps, 1)
        error = ulp_error(yi, ref, dtype)
        if error <= allowed:
            continue
        if name == "gelu_tanh" and compute is ACTIVATIONS[name].function:
            if error <= allowed + 2 * float(condition_number(name, mp.mpf(xi))):
                continue
        if name in CROSSES_ZERO and compute is ACTIVATIONS[name].derivative:
            if abs(mp.mpf(yi) - ref) <= 4 * float(np.finfo(dtype).eps):
                continue
        failures.append((xi, yi, float(ref), round(error, 2)))
    return failures


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("name", list(VALUE_ULPS))
def test_each_function_is_within_its_ulp_tolerance_over_the_whole_range(name, dtype_name):
    failures = _failures(name, dtype_name, ACTIVATIONS[name].function, REFERENCES[name], VALUE_ULPS[name])
    assert not failures, f"{name} {dtype_name}: (x, got, reference, ulps) {failures[:5]}"


@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("name", list(DERIVATIVE_ULPS))
def test_each_derivative_is_within_its_ulp_tolerance_over_the_whole_range(name, dtype_name):
    failures = _failures(name, dtype_name, ACTIVATIONS[name].derivative, DERIVATIVES[name], DERIVATIVE_ULPS[name])
    assert not failures, f"{name}′ {dtype_name}: (x, got, reference, ulps) {failures[:5]}"


def _softmax_reference(values):
    xs = [mp.mpf(v) for v in values]
    peak = max(xs)
    exps = [mp.exp(v - peak) for v in xs]
    total = mp.fsum(exps)
    return [e / total for e in exps]


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_softmax_is_within_4_ulps_on_vectors_spanning_the_range(dtype_name):
    dtype = DTYPES[dtype_name]
    info = np.finfo(dtype)
    big = float(info.max)
    vectors = [
        [1000.0, 1001.0, 1002.0] if dtype_name != "float16" else [10.0, 11.0, 12.0],
        [-big, 0.0, big],
        [-big, -big],
        [big, big, big],
        [-1e4, 1e4] if dtype_name != "float16" else [-6e4, 6e4],
        [float(info.smallest_subnormal), -0.0, 0.0, float(info.tiny)],
        [-big, float(np.nextafter(dtype(-big), dtype(0)))],
        list(np.random.default_rng(1).normal(0, 5, 40)),
    ]
    for vector in vectors:
        x = np.array(vector, dtype=np.float64).astype(dtype)
        got = softmax(x)
        assert got.dtype == dtype
        reference = _softmax_reference(x.tolist())
        errors = [ulp_error(g, r, dtype) for g, r in zip(got.tolist(), reference, strict=True)]
        # Only entries whose exp does not underflow carry their rounding into the result.
        peak = max(x.tolist())
        spread = max(peak - v for v in x.tolist() if peak - v < 800)
        allowed = 1 if dtype_name == "float16" else 4 + spread
        assert max(errors) <= allowed, (vector, got, errors)


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_softmax_along_an_axis_normalises_each_row_separately(dtype_name):
    dtype = DTYPES[dtype_name]
    x = np.array([[1.0, 2.0, 3.0], [-5.0, 0.0, 5.0]], dtype=dtype)
    rows = softmax(x, axis=1)
    columns = softmax(x, axis=0)
    for i in range(2):
        assert np.array_equal(rows[i], softmax(x[i]))
    for j in range(3):
        assert np.array_equal(columns[:, j], softmax(x[:, j]))
