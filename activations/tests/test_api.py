"""The JSON API: what it answers, and that every bad input is a 400 naming the problem."""

import json
import re
import time

import pytest
from django.test import Client

from activations import benchmark

EVALUATE = "/activations/api/evaluate"
BENCHMARK = "/activations/api/benchmark"


def _strict_json(response) -> dict:
    """Parse as standard JSON: NaN/Infinity literals would raise here."""

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    return json.loads(response.content, parse_constant=refuse)


@pytest.fixture
def api(client, world):
    client.force_login(world.student)

    def post(url, payload, **kwargs):
        body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        return client.post(url, body, content_type="application/json", **kwargs)

    return post


def test_naive_float32_softmax_overflows_into_nan_strings(api):
    response = api(EVALUATE, {"function": "softmax", "x": [1000, 1001, 1002], "dtype": "float32", "variant": "naive"})
    assert response.status_code == 200
    body = _strict_json(response)
    assert body["function"] == "softmax" and body["dtype"] == "float32" and body["variant"] == "naive"
    assert body["y"] == ["nan", "nan", "nan"]
    assert body["jacobian"][0] == ["nan", "nan", "nan"]
    assert "dy" not in body


def test_stable_softmax_is_the_default_variant_and_returns_its_jacobian(api):
    body = _strict_json(api(EVALUATE, {"function": "softmax", "x": [1000, 1001, 1002], "dtype": "float32"}))
    assert body["variant"] == "stable"
    assert body["y"] == pytest.approx([0.0900306, 0.2447285, 0.6652410], rel=1e-6)
    jacobian = body["jacobian"]
    assert len(jacobian) == 3 and all(len(row) == 3 for row in jacobian)
    assert jacobian[0][0] == pytest.approx(0.0900306 * (1 - 0.0900306), rel=1e-5)
    assert sum(jacobian[0]) == pytest.approx(0, abs=1e-7)


def test_clipped_softmax_in_float64_flattens_large_logits(api):
    body = _strict_json(api(EVALUATE, {"function": "softmax", "x": [1000, 1001, 1002], "variant": "clipped"}))
    assert body["dtype"] == "float64"
    assert body["y"] == pytest.approx([1 / 3] * 3)


def test_softmax_beyond_32_values_gives_no_jacobian(api):
    body = _strict_json(api(EVALUATE, {"function": "softmax", "x": list(range(33))}))
    assert len(body["y"]) == 33 and body["jacobian"] is None
    assert len(_strict_json(api(EVALUATE, {"function": "softmax", "x": list(range(32))}))["jacobian"]) == 32


def test_elementwise_functions_return_y_and_dy_in_the_requested_dtype(api):
    body = _strict_json(api(EVALUATE, {"function": "relu", "x": [-2, 0, 0.1, 3], "dtype": "float16"}))
    assert body == {"function": "relu", "dtype": "float16", "variant": "stable",
                    "y": [0.0, 0.0, 0.0999755859375, 3.0], "dy": [0.0, 0.0, 1.0, 1.0]}


def test_leaky_relu_takes_a_slope_and_echoes_it(api):
    body = _strict_json(api(EVALUATE, {"function": "leaky_relu", "x": [-2, 4], "slope": 0.25}))
    assert body["slope"] == 0.25 and body["y"] == [-0.5, 4.0] and body["dy"] == [0.25, 1.0]


def test_gelu_at_the_float32_extremes_is_finite(api):
    body = _strict_json(api(EVALUATE, {"function": "gelu", "x": [-3.4028234663852886e38, 3.4028234663852886e38],
                                       "dtype": "float32"}))
    assert body["y"] == [0.0, 3.4028234663852886e38]


def test_ten_thousand_values_are_accepted(api):
    response = api(EVALUATE, {"function": "sigmoid", "x": [0.5] * 10_000})
    assert response.status_code == 200 and len(_strict_json(response)["dy"]) == 10_000


BAD_EVALUATE = [
    ("not json", "{not json", "not valid JSON"),
    ("array body", [1, 2], "must be a JSON object"),
    ("unknown field", {"function": "relu", "x": [1], "axis": 0}, "Unknown field 'axis'"),
    ("no function", {"x": [1]}, "'function' is required"),
    ("unknown function", {"function": "swish", "x": [1]}, "Unknown function 'swish'"),
    ("function not a string", {"function": 3, "x": [1]}, "Unknown function '3'"),
    ("unknown dtype", {"function": "relu", "x": [1], "dtype": "int8"}, "Unknown dtype 'int8'"),
    ("unknown variant", {"function": "softmax", "x": [1], "variant": "fast"}, "Unknown variant 'fast' for softmax"),
    ("variant on relu", {"function": "relu", "x": [1], "variant": "naive"}, "it only has 'stable'"),
    ("no x", {"function": "relu"}, "'x' is required"),
    ("x not a list", {"function": "relu", "x": "1, 2"}, "'x' must be a list of numbers"),
    ("empty x", {"function": "relu", "x": []}, "'x' is empty"),
    ("too many", {"function": "relu", "x": [1] * 10_001}, "'x' has 10,001 values; at most 10,000"),
    ("nested", {"function": "relu", "x": [[1, 2], [3, 4]]}, "flat list of numbers; x[0] is a list"),
    ("string entry", {"function": "relu", "x": [1, "2"]}, 'x[1] is not a number: "2"'),
    ("boolean entry", {"function": "relu", "x": [True]}, "x[0] is not a number: true"),
    ("null entry", {"function": "relu", "x": [1, None]}, "x[1] is not a number: null"),
    ("NaN literal", '{"function": "relu", "x": [1, NaN]}', "x[1] is not finite"),
    ("Infinity literal", '{"function": "relu", "x": [-Infinity]}', "x[0] is not finite"),
    ("overflowing literal", '{"function": "relu", "x": [1e400]}', "x[0] is not finite"),
    ("huge integer", '{"function": "relu", "x": [1' + "0" * 400 + "]}", "x[0] is not finite"),
    ("outside float16", {"function": "relu", "x": [1e5], "dtype": "float16"}, "outside the float16 range"),
    ("slope out of range", {"function": "leaky_relu", "x": [1], "slope": 2}, "'slope' must be a number from 0 to 1"),
    ("slope on relu", {"function": "relu", "x": [1], "slope": 0.1}, "'slope' applies only to leaky_relu"),
]


@pytest.mark.parametrize(("payload", "message"), [(p, m) for _, p, m in BAD_EVALUATE],
                         ids=[case for case, _, _ in BAD_EVALUATE])
def test_bad_evaluate_input_is_a_400_naming_the_problem(api, payload, message):
    response = api(EVALUATE, payload)
    assert response.status_code == 400
    assert message in _strict_json(response)["error"]


def test_the_benchmark_reports_ns_per_element_and_the_ratio_to_relu(api):
    response = api(BENCHMARK, {"functions": ["relu", "softmax"], "n": 20_000, "dtype": "float32"})
    assert response.status_code == 200
    body = _strict_json(response)
    assert body["n"] == 20_000 and body["dtype"] == "float32" and body["relu_ns_per_element"] > 0
    relu, softmax = body["results"]
    assert relu["function"] == "relu" and relu["ratio_to_relu"] == 1.0
    assert softmax["function"] == "softmax" and softmax["ns_per_element"] > 0
    assert softmax["ratio_to_relu"] == pytest.approx(softmax["ns_per_element"] / body["relu_ns_per_element"])
    assert all(r["runs"] >= benchmark.MIN_RUNS for r in body["results"])


def test_the_benchmark_times_relu_as_the_baseline_even_when_not_asked_for(api):
    body = _strict_json(api(BENCHMARK, {"functions": ["tanh", "tanh"], "n": 1000}))
    assert [r["function"] for r in body["results"]] == ["tanh"]
    assert body["relu_ns_per_element"] > 0 and body["dtype"] == "float64"


BAD_BENCHMARK = [
    ({"functions": [], "n": 1000}, "'functions' must be a non-empty list"),
    ({"functions": "relu", "n": 1000}, "'functions' must be a non-empty list"),
    ({"functions": ["relu", "swish"], "n": 1000}, "Unknown function 'swish'"),
    ({"functions": ["relu"], "n": 999}, "'n' must be a whole number from 1,000 to 1,000,000"),
    ({"functions": ["relu"], "n": 1_000_001}, "'n' must be a whole number"),
    ({"functions": ["relu"], "n": "1000"}, "'n' must be a whole number"),
    ({"functions": ["relu"], "n": 1000.5}, "'n' must be a whole number"),
    ({"functions": ["relu"], "n": True}, "'n' must be a whole number"),
    ({"functions": ["relu"]}, "'n' must be a whole number"),
    ({"functions": ["relu"], "n": 1000, "dtype": "float8"}, "Unknown dtype 'float8'"),
    ({"functions": ["relu"], "n": 1000, "repeat": 99}, "Unknown field 'repeat'"),
]


@pytest.mark.parametrize(("payload", "message"), BAD_BENCHMARK)
def test_bad_benchmark_input_is_a_400_naming_the_problem(api, payload, message):
    response = api(BENCHMARK, payload)
    assert response.status_code == 400
    assert message in _strict_json(response)["error"]


def test_a_second_benchmark_while_one_runs_gets_429(api):
    with benchmark.benchmark_slot():  # the site's only slot, as another server's run would hold it
        response = api(BENCHMARK, {"functions": ["relu"], "n": 1000})
    assert response.status_code == 429
    assert "Another benchmark is running" in _strict_json(response)["error"]
    assert api(BENCHMARK, {"functions": ["relu"], "n": 1000}).status_code == 200


def test_a_benchmark_slot_held_by_a_killed_worker_frees_itself(api):
    from reflect_site.models import SiteSlot

    SiteSlot.objects.create(key="benchmark:0", holder="a-dead-worker", expires_at=time.time() - 1)
    assert api(BENCHMARK, {"functions": ["relu"], "n": 1000}).status_code == 200


def test_the_api_answers_anonymous_callers_401_in_json(client, world):
    response = client.post(EVALUATE, {"function": "relu", "x": [1]}, content_type="application/json")
    assert response.status_code == 401
    assert "Log in" in response.json()["error"]


def test_the_api_refuses_get_with_405_in_json(client, world):
    client.force_login(world.student)
    response = client.get(BENCHMARK)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "Use POST" in response.json()["error"]


def _page_token(client) -> str:
    html = client.get("/activations/").content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(("url", "payload"), [
    (EVALUATE, {"function": "relu", "x": [1]}),
    (BENCHMARK, {"functions": ["relu"], "n": 1000}),
])
def test_the_api_needs_the_csrf_token_the_page_sends_in_its_header(world, url, payload):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.student)
    body = json.dumps(payload)
    assert client.post(url, body, content_type="application/json").status_code == 403
    token = _page_token(client)
    response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_a_body_over_the_upload_limit_is_a_400_not_a_500(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api(EVALUATE, {"function": "relu", "x": [0.5] * 500})
    assert response.status_code == 400
    assert _strict_json(response)["error"] == "The request body is too large."


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("function", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "gelu_tanh", "softmax"])
def test_every_function_answers_in_every_dtype_at_the_extremes_without_nan(api, function, dtype):
    biggest = {"float16": 65504.0, "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}[dtype]
    x = [-biggest, -1e4 if dtype != "float16" else -6e4, -1.0, -0.0, 0.0, 1e-7, 2.5, biggest]
    body = _strict_json(api(EVALUATE, {"function": function, "x": x, "dtype": dtype}))
    assert body["dtype"] == dtype and len(body["y"]) == len(x)
    values = body["y"] + (body.get("dy") or []) + [v for row in (body.get("jacobian") or []) for v in row]
    assert not any(isinstance(v, str) for v in values), values
