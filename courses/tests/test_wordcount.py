"""The word rule: one vector file, run against the Python function and the browser's JS."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from courses.wordcount import count_words

VECTORS = json.loads((Path(__file__).parent.parent / "wordcount_vectors.json").read_text())
JS = Path(settings.BASE_DIR) / "static" / "js" / "wordcount.js"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: repr(v["text"])[:40])
def test_python_counts_each_vector(vector):
    assert count_words(vector["text"]) == vector["words"]


def test_the_issue_examples_hold():
    assert count_words("state-of-the-art") == 1
    assert count_words("don't") == 1
    assert count_words("word — word") == 2
    assert count_words("3.14159") == 1
    assert count_words("- bullet one") == 2
    assert count_words("e.g.") == 1
    assert count_words("学习ML") == 3


def test_a_long_answer_counts_quickly_enough_to_run_on_every_save():
    text = "ReLU is cheap; softmax needs exp and a sum. " * 2000
    assert count_words(text) == 9 * 2000


@pytest.mark.browser
def test_the_browser_counter_agrees_with_the_server_on_every_vector(page):
    page.set_content("<!doctype html><meta charset='utf-8'><title>wordcount</title>")
    page.add_script_tag(path=str(JS))
    texts = [v["text"] for v in VECTORS]
    counts = page.evaluate("texts => texts.map(t => window.countWords(t))", texts)
    mismatches = [(v["text"], got, v["words"]) for v, got in zip(VECTORS, counts, strict=True) if got != v["words"]]
    assert not mismatches


@pytest.mark.browser
def test_the_browser_and_server_agree_on_random_unicode(page):
    # Beyond the vectors: the same pseudo-random texts drawn from tricky code points.
    import random

    alphabet = (
        list(" \t\n\u00a0\u2009\u3000\u2013\u2014\u200b-'./,!?#*")
        + list("abcXYZ019éü")
        + list("学习日本ひらカター、。")
        + ["\U0001F600", "\u00b2", "\u2460", "\u0301", "\u0645", "\U00020000"]
    )
    rng = random.Random(20261128)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(400)]
    page.set_content("<!doctype html><meta charset='utf-8'><title>wordcount</title>")
    page.add_script_tag(path=str(JS))
    counts = page.evaluate("texts => texts.map(t => window.countWords(t))", texts)
    assert counts == [count_words(t) for t in texts]
