"""The near-duplicate maths: shingles, exact Jaccard, MinHash/LSH candidates and the shared passages."""

from __future__ import annotations

import random

import pytest

from grading.similarity import (
    DEFAULT_THRESHOLD,
    Match,
    jaccard,
    near_duplicates,
    shared_passages,
    shingles_of,
    words_of,
)

VOCABULARY = [f"term{i}" for i in range(2000)]


def essay(seed: int, n: int = 200) -> str:
    """A text of `n` words drawn from a shared vocabulary: answers on one topic that nobody copied."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(n))


def edited(text: str, every: int) -> str:
    """`text` with every `every`-th word replaced."""
    words = text.split()
    for i in range(0, len(words), every):
        words[i] = "changed"
    return " ".join(words)


def test_words_are_casefolded_and_punctuation_is_dropped():
    assert words_of("ReLU, ReLU!  relu\n(ReLU)") == ["relu"] * 4
    assert shingles_of("One two three four five six.") == {("one", "two", "three", "four", "five"),
                                                          ("two", "three", "four", "five", "six")}
    assert shingles_of("Too short") == {("too", "short")}
    assert shingles_of("   ...  ") == set()


def test_identical_texts_have_similarity_one_whatever_their_case_and_punctuation():
    text = essay(1)
    assert jaccard(text, text.upper().replace(" ", ",  ")) == 1.0
    assert near_duplicates([essay(2), text, text.upper()]) == [Match(a=1, b=2, similarity=1.0)]


def test_a_lightly_edited_copy_is_flagged_with_its_exact_jaccard_index():
    original = essay(3)
    copy = edited(original, 20)
    matches = near_duplicates([essay(4), original, essay(5), copy])
    assert [(m.a, m.b) for m in matches] == [(1, 3)]
    assert matches[0].similarity == pytest.approx(jaccard(original, copy))
    assert 0.5 < matches[0].similarity < 0.8


def test_unrelated_answers_on_one_topic_are_not_flagged():
    texts = [essay(seed) for seed in range(300)]
    assert near_duplicates(texts) == []
    assert max(jaccard(texts[0], t) for t in texts[1:]) < 0.05


def test_the_threshold_decides_between_a_heavier_edit_and_a_lighter_one():
    original = essay(6)
    heavier = edited(original, 12)  # 7 shingles in 12 survive: Jaccard 7/17
    similarity = jaccard(original, heavier)
    assert 0.3 < similarity < DEFAULT_THRESHOLD
    assert near_duplicates([original, heavier]) == []
    assert [(m.a, m.b) for m in near_duplicates([original, heavier], threshold=0.3)] == [(0, 1)]


def test_a_planted_copy_is_found_among_a_thousand_answers():
    texts = [essay(seed) for seed in range(1000)]
    texts[999] = edited(texts[123], 25)
    texts[500] = texts[42]
    found = {(m.a, m.b) for m in near_duplicates(texts)}
    assert found == {(123, 999), (42, 500)}


def test_earlier_answers_pair_with_current_ones_and_never_with_each_other():
    old = essay(7)
    current = [essay(8), edited(old, 30)]
    earlier = [old, old, essay(9)]
    matches = near_duplicates(current, earlier)
    assert sorted((m.a, m.b) for m in matches) == [(1, 2), (1, 3)]  # earlier texts count from len(current)


def test_empty_and_tiny_inputs_give_no_pairs():
    assert near_duplicates([]) == []
    assert near_duplicates(["only one answer here"]) == []
    assert near_duplicates(["", "", "  "]) == []


def test_the_shared_word_runs_are_marked_in_both_texts_as_written():
    a = "First, the GPU reads every value from memory. Then it stops."
    b = "Honestly the gpu reads EVERY value from memory; nothing else."
    segments_a, segments_b = shared_passages(a, b)
    assert [s.text for s in segments_a if s.marked] == ["the GPU reads every value from memory"]
    assert [s.text for s in segments_b if s.marked] == ["the gpu reads EVERY value from memory"]
    assert "".join(s.text for s in segments_a) == a and "".join(s.text for s in segments_b) == b


def test_runs_shorter_than_a_shingle_are_not_marked():
    segments_a, _ = shared_passages("one two three four apples", "one two three four pears")
    assert not any(s.marked for s in segments_a)


def test_a_huge_repetitive_pair_is_marked_in_one_linear_pass():
    # The shape that makes sequence matchers quadratic: long texts of one repeated word.
    a = "relu " * 50_000
    b = "relu, " * 50_000
    segments_a, segments_b = shared_passages(a, b)
    assert [s.marked for s in segments_a] == [True, False] and segments_a[0].text == a.rstrip()
    assert [s.marked for s in segments_b] == [True, False] and segments_b[1].text == ", "
    assert near_duplicates([a, b]) == [Match(a=0, b=1, similarity=1.0)]
