"""Activations at scale: each function against the plain numpy expression of the same formula.

Run `python bench/activations.py [--n 1000000] [--repeat 15]`. For float32 and float64 it
prints the median time of each of our functions on n standard-normal values, the median of
the plain one-line numpy expression (e.g. `np.maximum(x, 0)`), timed alternately with it so
both see the same load, and their ratio; Softmax is also
compared with scipy.special.softmax. Then the median time of the evaluate endpoint's view for
1,001 points, JSON parsing and encoding included (the view called in process, no middleware).
Targets: every ratio ≤ 1.2; the endpoint under 10 ms. Figures are noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflect_site.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import scipy.special  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from activations import functions as f  # noqa: E402
from activations.benchmark import benchmark_input  # noqa: E402
from activations.views import api_evaluate  # noqa: E402

SQRT_2_OVER_PI = np.sqrt(2 / np.pi)


def _plain_sigmoid(x):
    with np.errstate(over="ignore"):  # the plain formula overflows exp(−x) for large negative x
        return 1 / (1 + np.exp(-x))


def _plain_softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


PLAIN = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, x * x.dtype.type(f.LEAKY_SLOPE)),
    "sigmoid": _plain_sigmoid,
    "tanh": np.tanh,
    "gelu": lambda x: 0.5 * x * (1 + scipy.special.erf(x / np.sqrt(2))),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x)))),
    "softmax": _plain_softmax,
}


def median_seconds(function, *args, repeat: int) -> float:
    function(*args)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_medians(ours, plain, x, repeat: int) -> tuple[float, float]:
    """Median seconds of each, timed alternately so both see the same load on a shared machine."""
    ours(x), plain(x)  # warm-up
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(repeat):
        order = ((0, ours), (1, plain)) if i % 2 == 0 else ((1, plain), (0, ours))
        for slot, function in order:
            start = time.perf_counter()
            function(x)
            times[slot].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def endpoint_ms(function: str, dtype: str, repeat: int) -> float:
    """The evaluate view on 1,001 points, from request body to encoded JSON response."""

    class SignedIn:
        is_authenticated = True

    body = json.dumps({"function": function, "x": np.linspace(-5, 5, 1001).tolist(), "dtype": dtype})
    factory = RequestFactory()

    def call():
        request = factory.post("/activations/api/evaluate", body, content_type="application/json")
        request.user = SignedIn()
        response = api_evaluate(request)
        assert response.status_code == 200, response.content
        return response.content

    return median_seconds(call, repeat=repeat) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()

    print(f"activations: n = {args.n:,} standard-normal values, median of {args.repeat} runs")
    print(f"{'dtype':8} {'function':11} {'ours ms':>9} {'plain ms':>9} {'ratio':>6}")
    for dtype in ("float32", "float64"):
        x = benchmark_input(args.n, dtype)
        for name, plain in PLAIN.items():
            ours, base = paired_medians(f.ACTIVATIONS[name].function, plain, x, repeat=args.repeat)
            print(f"{dtype:8} {name:11} {ours * 1e3:9.2f} {base * 1e3:9.2f} {ours / base:6.2f}")
        ours, scipy_s = paired_medians(f.softmax, scipy.special.softmax, x, repeat=args.repeat)
        ratio = ours / scipy_s
        print(f"{dtype:8} {'softmax':11} {ours * 1e3:9.2f} {scipy_s * 1e3:9.2f} {ratio:6.2f}  vs scipy.special.softmax")

    print("evaluate endpoint, 1,001 points, JSON in and out (median ms):")
    for function, dtype in (("relu", "float32"), ("gelu", "float64"), ("softmax", "float32")):
        print(f"  {function:8} {dtype:8} {endpoint_ms(function, dtype, repeat=max(args.repeat, 50)):6.2f} ms")


if __name__ == "__main__":
    main()
