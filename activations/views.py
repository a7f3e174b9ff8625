"""The lab pages and the JSON API behind them.

Pages are for logged-in users (anonymous visitors are sent to log in). The API answers
anonymous callers with 401 {"error": ...} instead of a redirect, since a script cannot
follow a login page; CSRF applies to both as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from activations.benchmark import BenchmarkBusy, BenchmarkRequest, benchmark_request_from, benchmark_run
from activations.evaluation import PayloadError, evaluate, evaluate_request_from, parse_json_object
from activations.forms import CostForm, ExplorerForm, PrecisionForm, StabilityForm
from activations.functions import ACTIVATIONS, JACOBIAN_MAX
from activations.labs import explorer_plot_data, explorer_table, precision_table, stability_table
from reflect_site.ratelimit import rate_limited

BUSY_MESSAGE = "Another benchmark is running; try again in a moment."


def _bind(form_class, params: QueryDict, multiple: tuple[str, ...] = ("functions",)):
    """The form bound to its defaults overlaid with whatever the query string sets."""
    data = dict(form_class.DEFAULTS)
    for key in params:
        data[key] = params.getlist(key) if key in multiple else params.get(key)
    return form_class(data)


@login_required
@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    """Pick functions and inputs; a table of f and f′ (and, with JavaScript, their plot)."""
    form = _bind(ExplorerForm, request.GET)
    context = {"form": form, "jacobian_max": JACOBIAN_MAX}
    if form.is_valid():
        data = form.cleaned_data
        table = explorer_table(data["functions"], data["x"], data["dtype"], data["slope"])
        context.update(table=table, plot=explorer_plot_data(table, data["x"]))
    return render(request, "activations/explorer.html", context)


@login_required
@require_GET
def stability_lab(request: HttpRequest) -> HttpResponse:
    """Softmax of one input through the naive, clipped and stable variants in three dtypes."""
    form = _bind(StabilityForm, request.GET)
    rows = stability_table(form.cleaned_data["x"]) if form.is_valid() else None
    return render(request, "activations/stability_lab.html", {"form": form, "rows": rows})


@login_required
@require_GET
def precision_lab(request: HttpRequest) -> HttpResponse:
    """One input through one function in float16, float32 and float64, against float64."""
    form = _bind(PrecisionForm, request.GET)
    precision = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            precision = precision_table(data["function"], data["x"], data["slope"])
        except PayloadError as error:
            form.add_error("x", str(error))
    return render(request, "activations/precision_lab.html", {"form": form, "precision": precision})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("benchmark")
def cost_lab(request: HttpRequest) -> HttpResponse:
    """The benchmark as a bar chart (with JavaScript) or, posted without it, as a table."""
    form = CostForm(request.POST) if request.method == "POST" else _bind(CostForm, QueryDict())
    result, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = benchmark_run(request=BenchmarkRequest(tuple(data["functions"]), data["n"], data["dtype"]))
        except BenchmarkBusy:
            form.add_error(None, BUSY_MESSAGE)
            status = 429
    elif request.method == "POST":
        status = 400
    context = {"form": form, "result": result, "activations": ACTIVATIONS}
    return render(request, "activations/cost_lab.html", context, status=status)


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _json_api(view: Callable[[HttpRequest, dict], JsonResponse]) -> Callable[[HttpRequest], JsonResponse]:
    """Log-in, POST and a JSON-object body, each refused with a JSON error the page can show."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> JsonResponse:
        if not request.user.is_authenticated:
            return _error("Log in to use the activations API.", 401)
        if request.method != "POST":
            response = _error("Use POST with a JSON body.", 405)
            response["Allow"] = "POST"
            return response
        try:
            data = parse_json_object(request.body)
        except RequestDataTooBig:
            return _error("The request body is too large.")
        except PayloadError as error:
            return _error(str(error))
        return view(request, data)

    return wrapper


@rate_limited("evaluate")
@_json_api
def api_evaluate(request: HttpRequest, data: dict) -> JsonResponse:
    """Evaluate one function (and its derivative) on a vector."""
    try:
        evaluate_request = evaluate_request_from(data)
    except PayloadError as error:
        return _error(str(error))
    return JsonResponse(evaluate(evaluate_request).as_json())


@rate_limited("benchmark")
@_json_api
def api_benchmark(request: HttpRequest, data: dict) -> JsonResponse:
    """Time functions on the server; 429 while another benchmark runs in this process."""
    try:
        benchmark_request = benchmark_request_from(data)
    except PayloadError as error:
        return _error(str(error))
    try:
        return JsonResponse(benchmark_run(request=benchmark_request))
    except BenchmarkBusy:
        return _error(BUSY_MESSAGE, 429)
