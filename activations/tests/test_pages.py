"""The lab pages render their tables on the server, so they work without JavaScript."""

import re

import pytest

from activations import benchmark


@pytest.fixture
def student_client(client, world):
    client.force_login(world.student)
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_explorer_shows_a_table_of_f_and_its_derivative(student_client, django_assert_num_queries):
    # 1. the session  2. the user
    with django_assert_num_queries(2):
        response = student_client.get("/activations/", {"functions": ["relu", "sigmoid"], "vector": "-1, 0.5, 2"})
    assert response.status_code == 200
    text = _text(response)
    assert "ReLU ReLU′ Sigmoid Sigmoid′" in text
    assert "-1 0 0 0.268941 0.196612" in text
    assert "2 2 1 0.880797 0.104994" in text
    assert b'id="explorer-data"' in response.content


def test_the_explorer_defaults_to_a_range_of_101_points(student_client, django_assert_num_queries):
    # 1. the session  2. the user
    with django_assert_num_queries(2):
        response = student_client.get("/activations/")
    plot = response.context["plot"]
    assert len(plot["x"]) == 101 and plot["x"][0] == -5.0 and plot["x"][-1] == 5.0
    assert [s["function"] for s in plot["series"]] == ["relu", "gelu"]


def test_the_explorer_shows_softmaxs_jacobian_diagonal_as_its_derivative(student_client):
    response = student_client.get("/activations/", {"functions": "softmax", "vector": "0 0"})
    assert "0.5 0.25" in _text(response)


def test_the_explorer_names_a_bad_vector_and_shows_no_table(student_client):
    response = student_client.get("/activations/", {"vector": "1, two, 3"})
    assert response.status_code == 200
    assert "Entry 2, &#x27;two&#x27;, is not a number." in response.content.decode()
    assert b'id="explorer-table"' not in response.content


def test_the_explorer_refuses_a_reversed_range(student_client):
    response = student_client.get("/activations/", {"start": "3", "stop": "1"})
    assert "The end of the range must be above its start." in response.content.decode()


def test_the_stability_lab_shows_where_each_variant_breaks(student_client, django_assert_num_queries):
    # 1. the session  2. the user
    with django_assert_num_queries(2):
        response = student_client.get("/activations/stability/")
    rows = {(r["variant"], r["dtype"]): r for r in response.context["rows"]}
    assert len(rows) == 9
    naive32 = rows[("naive", "float32")]
    assert [c.text for c in naive32["exps"]] == ["inf", "inf", "inf"]
    assert [c.text for c in naive32["y"]] == ["nan", "nan", "nan"] and naive32["broken"]
    stable32 = rows[("stable", "float32")]
    assert [c.text for c in stable32["y"]] == ["0.0900306", "0.244728", "0.665241"] and not stable32["broken"]
    clipped64 = rows[("clipped", "float64")]
    assert [c.text for c in clipped64["y"]] == ["0.333333"] * 3
    assert clipped64["error"].text == "0.332"  # how far clipping moved the largest probability
    assert rows[("clipped", "float32")]["broken"]
    html = response.content.decode()
    assert '<span class="inf">inf</span>' in html and '<span class="nan">nan</span>' in html


def test_the_stability_lab_marks_inputs_too_large_for_float16(student_client):
    response = student_client.get("/activations/stability/", {"x": "1e5, 0"})
    rows = {(r["variant"], r["dtype"]): r for r in response.context["rows"]}
    assert rows[("stable", "float16")]["unavailable"] == "the input does not fit in float16"
    assert not rows[("stable", "float64")]["broken"]


def test_the_stability_lab_refuses_more_than_16_values(student_client):
    response = student_client.get("/activations/stability/", {"x": " ".join(["1"] * 17)})
    assert "This lab shows at most 16 values; you gave 17." in response.content.decode()
    assert response.context["rows"] is None


def test_the_precision_lab_compares_each_dtype_with_float64(student_client, django_assert_num_queries):
    # 1. the session  2. the user
    with django_assert_num_queries(2):
        response = student_client.get("/activations/precision/", {"function": "relu", "x": "0.1, -3"})
    precision = response.context["precision"]
    summary = {s["dtype"]: s for s in precision["summary"]}
    assert summary["float64"]["identical"] and summary["float64"]["max_abs"].text == "0"
    assert summary["float16"]["max_abs"].text == "2.44e-05"  # 0.1 − float16(0.1)
    first = precision["rows"][0]
    assert first["x"]["float16"].text == "0.0999755859375"  # what float16 really stores for 0.1
    assert first["y"]["float32"].text == "0.10000000149011612" and first["y"]["float64"].text == "0.10000000000000001"


def test_the_precision_lab_refuses_inputs_beyond_float16(student_client):
    response = student_client.get("/activations/precision/", {"function": "sigmoid", "x": "70000"})
    assert "every input must be within ±65504" in response.content.decode()
    assert response.context["precision"] is None


def test_the_cost_lab_offers_the_benchmark_form(student_client, django_assert_num_queries):
    # 1. the session  2. the user
    with django_assert_num_queries(2):
        response = student_client.get("/activations/cost/")
    assert b"Run the benchmark" in response.content and b'data-api="/activations/api/benchmark"' in response.content


def test_the_cost_lab_runs_the_benchmark_when_posted_without_javascript(student_client, django_assert_num_queries):
    # 1. the session  2. the user  3. count the request against the user's rate limit
    # 4. take the site's benchmark slot  5. free it
    with django_assert_num_queries(5):
        response = student_client.post("/activations/cost/", {"functions": ["relu", "tanh"], "n": "2000",
                                                               "dtype": "float64"})
    assert response.status_code == 200
    assert [r["function"] for r in response.context["result"]["results"]] == ["relu", "tanh"]
    assert "1.00×" in _text(response)


def test_the_cost_lab_refuses_an_n_beyond_the_cap(student_client):
    response = student_client.post("/activations/cost/", {"functions": ["relu"], "n": "5000000", "dtype": "float64"})
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 1000000." in response.content.decode()


def test_the_cost_lab_says_when_another_benchmark_is_running(student_client):
    with benchmark.benchmark_slot():
        response = student_client.post("/activations/cost/", {"functions": ["relu"], "n": "1000",
                                                              "dtype": "float64"})
    assert response.status_code == 429
    assert "Another benchmark is running" in response.content.decode()
