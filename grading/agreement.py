"""Agreement between two graders of the same answers, with 95% confidence intervals (NumPy).

Three figures, each with the method its interval uses (the agreement page states them):

- exact band agreement: the share of answers both graders put in the same band; Wilson score interval.
- quadratic-weighted Cohen's kappa over the band categories (weights (i − j)² / (k − 1)²); large-sample
  interval with the standard error of Fleiss, Cohen and Everitt (1969). (A bootstrap gave the same
  intervals to two decimals but took most of a second per course; tests hold the two together.)
- mean absolute score difference; Student's t interval, its lower end clipped at 0.

Band categories are indices in the question's band order (best first), so a kappa pooled over questions
with the same bands compares like with like.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))

METHODS = {
    "exact": "Wilson score interval",
    "kappa": "large-sample interval (standard error of Fleiss, Cohen and Everitt, 1969)",
    "mad": "Student's t interval (lower end clipped at 0)",
}


@dataclass(frozen=True)
class Estimate:
    """A figure and its confidence interval; `value` is None when the data can't define it."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class Agreement:
    """How well two sets of grades of the same `n` answers agree."""

    n: int
    exact: Estimate
    kappa: Estimate
    mad: Estimate


def wilson_interval(successes: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of a proportion `successes / n` (n > 0)."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _quadratic_weights(k: int) -> np.ndarray:
    i = np.arange(k)
    return (i[:, None] - i[None, :]) ** 2 / max(k - 1, 1) ** 2


def _kappa_from_counts(counts: np.ndarray) -> np.ndarray:
    """Quadratic-weighted kappa of each (k, k) confusion matrix in a (B, k, k) stack; NaN where undefined."""
    k = counts.shape[-1]
    totals = counts.sum(axis=(1, 2)).astype(float)
    observed = counts / totals[:, None, None]
    weights = _quadratic_weights(k)
    rows, cols = observed.sum(axis=2), observed.sum(axis=1)
    disagreement = (weights * observed).sum(axis=(1, 2))
    chance = np.einsum("bi,ij,bj->b", rows, weights, cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(chance > 0, 1 - disagreement / np.where(chance > 0, chance, 1), np.nan)


def _confusion(first: np.ndarray, second: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(first * k + second, minlength=k * k).reshape(k, k)


def kappa_many(first: np.ndarray, second: np.ndarray, k: int) -> np.ndarray:
    """Quadratic-weighted kappa of each row of two (B, n) arrays of band indices in 0..k−1; NaN where undefined."""
    batches = first.shape[0]
    cells = (np.arange(batches)[:, None] * k * k + first * k + second).ravel()
    counts = np.bincount(cells, minlength=batches * k * k).reshape(batches, k, k)
    return _kappa_from_counts(counts)


def weighted_kappa(first, second, k: int) -> float | None:
    """Quadratic-weighted Cohen's kappa of two graders' band indices; None when both used one band only."""
    value = kappa_many(np.asarray(first)[None, :], np.asarray(second)[None, :], k)[0]
    return None if np.isnan(value) else float(value)


def kappa_interval(first: np.ndarray, second: np.ndarray, k: int, z: float = Z) -> tuple[float, float] | None:
    """Large-sample interval of the weighted kappa: κ ± z·SE, with the standard error of Fleiss, Cohen and
    Everitt (1969), clipped to [−1, 1]; None below two answers or when kappa is undefined.

    With agreement weights w = 1 − (i − j)²/(k − 1)², shares p of the k × k cells, margins r and c,
    p_e = Σ w·r·c and w̄ᵢ. = Σⱼ c_j w_ij, w̄.ⱼ = Σᵢ r_i w_ij:
    SE² = [Σ p_ij (w_ij − (w̄ᵢ. + w̄.ⱼ)(1 − κ))² − (κ − p_e(1 − κ))²] / (n (1 − p_e)²).
    """
    n = len(first)
    if n < 2:
        return None
    p = _confusion(first, second, k) / n
    weights = 1 - _quadratic_weights(k)
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    chance = float(rows @ weights @ cols)
    if chance >= 1:
        return None
    kappa = (float((weights * p).sum()) - chance) / (1 - chance)
    row_means, col_means = weights @ cols, rows @ weights
    spread = (p * (weights - (row_means[:, None] + col_means[None, :]) * (1 - kappa)) ** 2).sum()
    variance = (spread - (kappa - chance * (1 - kappa)) ** 2) / (n * (1 - chance) ** 2)
    half = z * math.sqrt(max(float(variance), 0.0))
    return max(-1.0, kappa - half), min(1.0, kappa + half)


@functools.lru_cache(maxsize=512)
def _t_quantile(degrees: int) -> float:
    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, degrees))


def mean_difference_interval(differences: np.ndarray) -> tuple[float, float] | None:
    """Student's t interval of the mean of absolute differences; None below two answers."""
    n = len(differences)
    if n < 2:
        return None
    mean = float(differences.mean())
    spread = float(differences.std(ddof=1))
    half = _t_quantile(n - 1) * spread / math.sqrt(n)
    return max(0.0, mean - half), mean + half


def agreement(first_bands, second_bands, first_scores, second_scores, k: int) -> Agreement:
    """Agreement of two graders over the same answers: band indices (0..k−1, best first) and scores."""
    first_bands = np.asarray(first_bands, dtype=np.int64)
    second_bands = np.asarray(second_bands, dtype=np.int64)
    n = len(first_bands)
    if n == 0:
        return Agreement(0, Estimate(None), Estimate(None), Estimate(None))
    same = int((first_bands == second_bands).sum())
    exact = Estimate(same / n, *wilson_interval(same, n))
    # One answer makes no kappa: the "chance" agreement is then that answer itself.
    kappa_value = weighted_kappa(first_bands, second_bands, k) if n >= 2 else None
    interval = kappa_interval(first_bands, second_bands, k) if kappa_value is not None else None
    kappa = Estimate(kappa_value, *(interval or (None, None)))
    differences = np.abs(np.asarray(first_scores, dtype=float) - np.asarray(second_scores, dtype=float))
    mad = Estimate(float(differences.mean()), *(mean_difference_interval(differences) or (None, None)))
    return Agreement(n, exact, kappa, mad)
