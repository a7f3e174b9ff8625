"""Fuzz the word rule against properties that follow from it, on any text at all.

The rule (courses/wordcount.py) splits on separators and counts pieces, so whatever the text:
- it never raises and the count is a whole number from 0 to the text's length;
- a separator between two texts makes their counts add up; separators at the ends add nothing;
- any run of separators counts like one space;
- a text with a letter or digit has at least one word, and one with neither letters, digits
  nor CJK code points has none.
FUZZ_EXAMPLES sets the budget (small in `make test`, large in `make fuzz`).
"""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.wordcount import _CJK, _SEPARATORS, count_words

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=max(20, int(os.environ.get("FUZZ_EXAMPLES", "15")) * 10),  # counting is cheap: ten per unit
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SEPARATORS = [" ", "\t", "\n", "\r", "\x00", "\x7f", "\x85", "\u00a0", "\u1680", "\u2003", "\u2028", "\u2029",
              "\u202f", "\u3000", "\u2013", "\u2014"]
# Characters the rule treats specially, so generated text hits them far more often than chance would.
INTERESTING = SEPARATORS + ["-", "'", "’", "/", ".", "\u200b", "\u200d", "\ufeff", "\u0301", "a", "Z", "é", "7",
                            "٣", "²", "学", "習", "ひ", "カ", "ー", "々", "한", "😀", "\ud800", "\udfff", "\U00020000",
                            "\U0002a6e0"]

any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=200)
texts = st.one_of(any_text, st.text(st.sampled_from(INTERESTING), max_size=200), st.text(max_size=200))
separator_runs = st.text(st.sampled_from(SEPARATORS), min_size=1, max_size=5)


def _letter_or_digit(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


@FUZZ
@given(texts)
def test_it_never_raises_and_counts_between_zero_and_the_length(text):
    words = count_words(text)
    assert isinstance(words, int)
    assert 0 <= words <= len(text)


@FUZZ
@given(texts, separator_runs, texts)
def test_a_separator_between_two_texts_makes_their_counts_add_up(a, separator, b):
    assert count_words(a + separator + b) == count_words(a) + count_words(b)


@FUZZ
@given(separator_runs, texts, separator_runs)
def test_separators_at_the_ends_add_nothing(before, text, after):
    assert count_words(before + text + after) == count_words(text)


@FUZZ
@given(texts)
def test_any_run_of_separators_counts_like_one_space(text):
    assert count_words(_SEPARATORS.sub(" ", text)) == count_words(text)


@FUZZ
@given(texts, st.integers(1, 20))
def test_repeating_a_text_between_spaces_multiplies_its_count(text, times):
    assert count_words(" ".join([text] * times)) == times * count_words(text)


@FUZZ
@given(texts)
def test_a_text_with_a_letter_or_digit_has_a_word_and_one_without_has_none(text):
    if any(_letter_or_digit(c) for c in text):
        assert count_words(text) >= 1
    if not any(_letter_or_digit(c) or _CJK.match(c) for c in text):
        assert count_words(text) == 0


@FUZZ
@given(st.text(st.sampled_from(["a", "b", "1", "é"]), min_size=1, max_size=20),
       st.text(st.sampled_from(["-", "'", "’", "/", ".", "\u200b"]), min_size=1, max_size=3),
       st.text(st.sampled_from(["a", "b", "1", "é"]), min_size=1, max_size=20))
def test_joiners_between_two_words_make_one_word(left, joiner, right):
    assert count_words(left + joiner + right) == 1


@FUZZ
@given(st.text(st.sampled_from(["学", "習", "ひ", "カ", "々"]), min_size=1, max_size=50))
def test_each_cjk_character_is_a_word(text):
    assert count_words(text) == len(text)


def test_the_separator_set_is_what_the_docstring_says():
    # The properties above lean on SEPARATORS being separators and the joiners not being ones.
    assert all(re.fullmatch(_SEPARATORS, s) for s in SEPARATORS)
    assert not any(_SEPARATORS.search(j) for j in ["-", "'", "’", "/", ".", "\u200b"])
