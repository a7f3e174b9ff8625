"""The activations API answers hostile JSON with a 400 naming the problem, never a 500."""

import json

import pytest

EVALUATE = "/activations/api/evaluate"
BENCHMARK = "/activations/api/benchmark"


@pytest.fixture
def post(client, world):
    client.force_login(world.student)

    def _post(url, body):
        return client.post(url, body, content_type="application/json")

    return _post


@pytest.mark.parametrize("url", [EVALUATE, BENCHMARK])
@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"function": "relu", "x": ' + "[" * 5_000 + "1" + "]" * 5_000 + "}",
    '{"function": "relu", "x": [1], "dtype": ' + '{"a": ' * 2_000 + "1" + "}" * 2_000 + "}",
    '{"functions": ["relu"], "n": 1000, "dtype": "float32", "x": ' + "[" * 40 + "]" * 40 + "}",
], ids=["top-level", "in-x", "in-dtype", "forty-levels"])
def test_deeply_nested_json_is_a_400_naming_the_problem(post, url, body):
    reply = post(url, body)
    assert reply.status_code == 400
    assert "nested too deeply" in reply.json()["error"]


@pytest.mark.parametrize("payload", [
    {"function": "relu\x00", "x": [1]},
    {"function": "relu", "x": [1], "dtype": "\ud800"},
    {"\udfff": 1},
], ids=["nul", "surrogate-value", "surrogate-key"])
def test_strings_with_nul_or_lone_surrogates_are_a_400(post, payload):
    reply = post(EVALUATE, json.dumps(payload))
    assert reply.status_code == 400
    assert "can't be saved" in reply.json()["error"]


def test_a_reasonably_nested_but_wrong_x_still_names_the_entry(post):
    reply = post(EVALUATE, json.dumps({"function": "relu", "x": [[[1]]]}))
    assert reply.status_code == 400
    assert "x[0] is a list" in reply.json()["error"]
