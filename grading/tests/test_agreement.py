"""The agreement statistics against values worked out by hand."""

import numpy as np
import pytest

from grading.agreement import (
    agreement,
    kappa_interval,
    kappa_many,
    mean_difference_interval,
    weighted_kappa,
    wilson_interval,
)


def test_quadratic_weighted_kappa_matches_the_hand_computed_nine_thirteenths():
    # Bands (first, second): (0,0) (1,2) (2,2) (0,1); weights (i−j)²/4.
    # Observed weighted disagreement (¼ + ¼)/4 = 1/8; by chance, from the marginals (½,¼,¼) × (¼,¼,½), 13/32.
    assert weighted_kappa([0, 1, 2, 0], [0, 2, 2, 1], 3) == pytest.approx(1 - (1 / 8) / (13 / 32))
    assert weighted_kappa([0, 1, 2, 0], [0, 2, 2, 1], 3) == pytest.approx(9 / 13)


def test_kappa_is_one_for_perfect_agreement_and_negative_for_systematic_opposition():
    assert weighted_kappa([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 5) == pytest.approx(1.0)
    # Exact reversal of five bands: observed weighted disagreement 0.5, chance 0.25 → kappa −1.
    assert weighted_kappa([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], 5) == pytest.approx(-1.0)


def test_kappa_is_undefined_when_both_graders_used_one_band_only():
    assert weighted_kappa([2, 2, 2], [2, 2, 2], 5) is None


def test_the_quadratic_weights_punish_a_far_miss_more_than_a_near_one():
    near = weighted_kappa([0, 1, 2, 3, 4, 0], [0, 1, 2, 3, 4, 1], 5)
    far = weighted_kappa([0, 1, 2, 3, 4, 0], [0, 1, 2, 3, 4, 4], 5)
    assert near > far


def test_kappa_many_computes_each_row_like_the_single_version():
    rng = np.random.default_rng(1)
    first, second = rng.integers(0, 5, size=(20, 30)), rng.integers(0, 5, size=(20, 30))
    batch = kappa_many(first, second, 5)
    assert batch == pytest.approx([weighted_kappa(a, b, 5) for a, b in zip(first, second, strict=True)])


def test_wilson_interval_of_eight_out_of_ten():
    # p = 0.8, z = 1.96: centre (0.8 + 0.19208)/1.38416, half 1.96·√(0.016 + 0.009604)/1.38416.
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_stays_inside_zero_and_one():
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    assert 0 < wilson_interval(0, 5)[1] < 1


def test_the_mean_difference_interval_is_a_t_interval():
    # |differences| 0, 1, 2, 1: mean 1, sd √(2/3), t(0.975, 3) = 3.182446 → half 3.182446·0.408248 = 1.299233.
    low, high = mean_difference_interval(np.array([0.0, 1.0, 2.0, 1.0]))
    assert high == pytest.approx(2.299233, abs=1e-5)
    assert low == 0.0  # 1 − 1.299 clipped: a mean of absolute values is never negative
    assert mean_difference_interval(np.array([3.0])) is None


def test_the_kappa_interval_matches_a_bootstrap_of_the_answers():
    # Checked against an independent method: resample the answers 4,000 times and take the 2.5th and
    # 97.5th percentiles of their kappas.
    rng = np.random.default_rng(3)
    for n in (120, 800):
        first = rng.integers(0, 5, size=n)
        second = np.clip(first + rng.choice([-2, -1, 0, 0, 0, 1], size=n), 0, 4)
        picks = np.random.default_rng(4).integers(0, n, size=(4000, n))
        naive = np.percentile(kappa_many(first[picks], second[picks], 5), [2.5, 97.5])
        low, high = kappa_interval(first, second, 5)
        assert (low, high) == pytest.approx(tuple(naive), abs=0.025)
        assert low < weighted_kappa(first, second, 5) < high


def test_the_kappa_interval_stays_within_minus_one_and_one():
    low, high = kappa_interval(np.array([0, 1, 2, 3, 4, 0, 1]), np.array([0, 1, 2, 3, 4, 0, 2]), 5)
    assert -1 <= low < high <= 1
    assert kappa_interval(np.array([2, 2, 2]), np.array([2, 2, 2]), 5) is None


def test_agreement_puts_the_three_figures_together():
    result = agreement([0, 1, 2, 0], [0, 2, 2, 1], [10, 7, 5, 9], [9, 5, 5, 8], 3)
    assert result.n == 4
    assert result.exact.value == pytest.approx(0.5)
    assert (result.exact.low, result.exact.high) == pytest.approx(wilson_interval(2, 4))
    assert result.kappa.value == pytest.approx(9 / 13) and result.kappa.has_interval
    assert result.mad.value == pytest.approx(1.0)  # |1| |2| |0| |1|


def test_one_answer_gives_agreement_and_difference_but_no_kappa():
    result = agreement([0], [2], [10], [5], 5)
    assert result.exact.value == 0 and result.mad.value == 5 and result.kappa.value is None
    assert not result.mad.has_interval


def test_no_pairs_give_no_figures():
    result = agreement([], [], [], [], 5)
    assert result.n == 0 and result.exact.value is None and result.kappa.value is None and result.mad.value is None
