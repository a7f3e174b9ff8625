"""Properties that must hold for every input hypothesis can find, in every dtype."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from activations.functions import (
    ACTIVATIONS,
    DTYPES,
    JACOBIAN_MAX,
    sigmoid,
    softmax,
    softmax_clipped,
    softmax_jacobian,
    softmax_naive,
)

# Per test, not a loaded profile: a profile would change every other app's hypothesis tests too.
examples = settings(max_examples=60, deadline=None)

dtype_names = st.sampled_from(list(DTYPES))


@st.composite
def finite_arrays(draw, min_size=1, max_size=40, dtype_name=None):
    name = dtype_name or draw(dtype_names)
    dtype = np.dtype(DTYPES[name])
    elements = hnp.from_dtype(dtype, allow_nan=False, allow_infinity=False)
    return draw(hnp.arrays(dtype, st.integers(min_size, max_size), elements=elements))


@examples
@given(finite_arrays())
def test_no_function_warns_or_returns_nan_for_any_finite_input(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):  # underflow to 0 or a subnormal is the right answer
            for activation in ACTIVATIONS.values():
                y = activation.function(x)
                assert y.dtype == x.dtype and y.shape == x.shape
                assert not np.isnan(y).any(), activation.name
                assert np.isfinite(y).all(), activation.name
                if activation.derivative:
                    d = activation.derivative(x)
                    assert d.dtype == x.dtype and np.isfinite(d).all(), activation.name


@examples
@given(finite_arrays())
def test_softmax_sums_to_one(x):
    y = softmax(x).astype(np.float64)
    eps = float(np.finfo(x.dtype).eps)
    assert (y >= 0).all() and (y <= 1).all()
    assert abs(y.sum() - 1.0) <= (x.size + 2) * eps


@examples
@given(finite_arrays(dtype_name="float64", max_size=20), st.floats(-100, 100))
def test_softmax_is_unchanged_by_adding_a_constant(x, shift):
    x = np.clip(x, -1e3, 1e3)  # keep x + shift exact enough for the identity to be a fair test
    shifted = x + shift
    assert np.allclose(softmax(shifted), softmax(x), rtol=1e-9, atol=1e-15)


@examples
@given(finite_arrays())
def test_sigmoid_of_minus_x_is_one_minus_sigmoid_of_x(x):
    eps = float(np.finfo(x.dtype).eps)
    left = sigmoid(-x).astype(np.float64)
    right = 1.0 - sigmoid(x).astype(np.float64)
    assert np.allclose(left, right, rtol=4 * eps, atol=2 * eps)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu_tanh", "gelu"])
@examples
@given(x=finite_arrays(min_size=2))
def test_activations_are_monotone_where_the_function_is(name, x):
    # GELU dips below zero left of x ≈ −0.75; it is monotone increasing to the right of that.
    if name.startswith("gelu"):
        x = x[x > -0.7]
    y = ACTIVATIONS[name].function(np.sort(x))
    assert (np.diff(y.astype(np.float64)) >= 0).all()


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh"])
@examples
@given(x=st.floats(-20, 20).filter(lambda v: abs(v) > 1e-3))
def test_derivatives_match_central_finite_differences(name, x):
    activation = ACTIVATIONS[name]
    h = 1e-6 * max(1.0, abs(x))
    points = np.array([x - h, x + h])
    y_minus, y_plus = activation.function(points)
    estimate = (y_plus - y_minus) / (2 * h)
    exact = activation.derivative(np.array([x]))[0]
    assert abs(estimate - exact) <= 1e-6 * max(1.0, abs(exact))


@examples
@given(finite_arrays(dtype_name="float64", max_size=JACOBIAN_MAX).map(lambda a: np.clip(a, -50, 50)))
def test_softmax_jacobian_matches_finite_differences_and_rows_sum_to_zero(x):
    jacobian = softmax_jacobian(softmax(x))
    h = 1e-6
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        column = (softmax(x + step) - softmax(x - step)) / (2 * h)
        assert np.allclose(jacobian[:, j], column, atol=1e-7)
    assert np.allclose(jacobian.sum(axis=0), 0.0, atol=1e-12)


def test_softmax_jacobian_is_refused_for_long_vectors():
    with pytest.raises(ValueError, match="at most 32"):
        softmax_jacobian(softmax(np.zeros(JACOBIAN_MAX + 1)))


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_the_naive_softmax_overflows_where_the_stable_one_does_not(dtype_name):
    x = np.array([1000, 1001, 1002], dtype=DTYPES[dtype_name])
    assert np.isnan(softmax_naive(x)).all()
    stable = softmax(x)
    assert np.isfinite(stable).all()
    assert np.allclose(stable.astype(np.float64), [0.09003057, 0.24472847, 0.66524096], rtol=2e-3)


def test_clipping_flattens_large_inputs_to_a_uniform_distribution_in_float64():
    x = np.array([1000.0, 1001.0, 1002.0])
    assert np.allclose(softmax_clipped(x), [1 / 3, 1 / 3, 1 / 3])


def test_clipping_still_overflows_in_float32():
    x = np.array([1000, 1001, 1002], dtype=np.float32)
    assert np.isnan(softmax_clipped(x)).all()


def test_float16_naive_softmax_already_overflows_at_twelve():
    x = np.array([10, 11, 12], dtype=np.float16)
    assert not np.isfinite(softmax_naive(x)).all()
    assert np.isfinite(softmax(x)).all()
