"""Timing the activations on the server for the cost lab, a few benchmarks at a time site-wide.

A run is capped twice so one request costs a fraction of a second of CPU: n is at most
N_MAX elements, and each function gets an equal share of TIME_BUDGET_S after its warm-up
(at least MIN_RUNS timed runs, at most MAX_RUNS). A second request while one is running
gets BenchmarkBusy instead of queueing behind it: the slots (settings.BENCHMARK_SLOTS) are
shared by every process on every app server through the database cache.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from activations.evaluation import PayloadError, choices_text, parse_dtype, reject_unknown_fields
from activations.functions import ACTIVATIONS, DTYPES
from reflect_site.ratelimit import NoSlotFree, site_slot

N_MIN = 1_000
N_MAX = 1_000_000
TIME_BUDGET_S = 0.25
MIN_RUNS = 3
MAX_RUNS = 25
BENCHMARK_FIELDS = ("functions", "n", "dtype")
BASELINE = "relu"

# A slot is held for the whole of a run and freed after it; a worker killed mid-run loses
# its slot after this many seconds (a run takes well under one).
SLOT_HOLD_S = 15


class BenchmarkBusy(Exception):
    """Every benchmark slot of the site is taken."""


def benchmark_slot():
    """Hold one of the site's benchmark slots (raises BenchmarkBusy when none is free)."""
    return site_slot("benchmark", settings.BENCHMARK_SLOTS, SLOT_HOLD_S)


@dataclass(frozen=True)
class BenchmarkRequest:
    functions: tuple[str, ...]
    n: int
    dtype: str

    def __str__(self) -> str:
        return f"{', '.join(self.functions)} on {self.n:,} {self.dtype} values"


def benchmark_request_from(data: dict) -> BenchmarkRequest:
    """Check a benchmark payload field by field."""
    reject_unknown_fields(data, BENCHMARK_FIELDS)
    functions = data.get("functions")
    if not isinstance(functions, list) or not functions:
        raise PayloadError(f"'functions' must be a non-empty list; choose from {choices_text(ACTIVATIONS)}.")
    names: list[str] = []
    for name in functions:
        if not isinstance(name, str) or name not in ACTIVATIONS:
            shown = name if isinstance(name, str) else repr(name)
            raise PayloadError(f"Unknown function '{shown[:40]}'; choose {choices_text(ACTIVATIONS)}.")
        if name not in names:
            names.append(name)
    n = data.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or not N_MIN <= n <= N_MAX:
        raise PayloadError(f"'n' must be a whole number from {N_MIN:,} to {N_MAX:,}.")
    return BenchmarkRequest(tuple(names), n, parse_dtype(data.get("dtype")))


def _median_seconds(function, x: np.ndarray, budget_s: float) -> tuple[float, int]:
    function(x)  # warm-up: first-touch page faults and lazy imports are not the function's cost
    times: list[float] = []
    spent = 0.0
    while len(times) < MAX_RUNS and (len(times) < MIN_RUNS or spent < budget_s):
        start = time.perf_counter()
        function(x)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        spent += elapsed
    return statistics.median(times), len(times)


def benchmark_input(n: int, dtype: str) -> np.ndarray:
    """Standard-normal inputs, like the pre-activations of a normalised layer, reproducibly.

    Mixed signs matter: a branchy implementation mispredicts on them, as it would in a network.
    """
    return np.random.default_rng(20_240_601).standard_normal(n).astype(DTYPES[dtype])


def benchmark_run(*, request: BenchmarkRequest) -> dict:
    """Time each requested function (and ReLU, the baseline); raise BenchmarkBusy if no slot is free."""
    names = list(request.functions)
    timed = names if BASELINE in names else [BASELINE, *names]
    share = TIME_BUDGET_S / len(timed)
    try:
        with benchmark_slot():
            x = benchmark_input(request.n, request.dtype)
            seconds: dict[str, tuple[float, int]] = {
                name: _median_seconds(ACTIVATIONS[name].function, x, share) for name in timed
            }
    except NoSlotFree as busy:
        raise BenchmarkBusy from busy
    baseline_ns = seconds[BASELINE][0] * 1e9 / request.n
    return {
        "n": request.n,
        "dtype": request.dtype,
        "relu_ns_per_element": baseline_ns,
        "results": [
            {
                "function": name,
                "label": ACTIVATIONS[name].label,
                "ns_per_element": seconds[name][0] * 1e9 / request.n,
                "ratio_to_relu": seconds[name][0] / seconds[BASELINE][0],
                "runs": seconds[name][1],
            }
            for name in names
        ],
    }
