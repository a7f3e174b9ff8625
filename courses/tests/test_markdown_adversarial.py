"""No text a user can write makes Markdown rendering slow, and none loads or imitates anything.

Every pattern that has made a Markdown or HTML parser super-linear somewhere (long runs of each
punctuation character, deep nesting, padded tables, many unclosed tags) is rendered at the
answer size cap under a time budget, and the worst ones at n and 4n to show the growth is
linear. `bench/markdown.py` prints the same patterns' figures.
"""

from __future__ import annotations

import gc
import string
import time
from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.markdown import FALLBACK_NOTE, MAX_RAW_HTML_TAGS, render_markdown

# The slowest render seen at the size cap, on the 2-core test machine with a load average near
# 9, was 0.43 s (0.25 s of budget, then freeing what the parser built): the budget is ~6x that.
TIME_BUDGET_SECONDS = 2.5
NO_BUDGET = 3600.0  # to time the parser itself, without the render budget cutting it short


def fill(unit: str, size: int) -> str:
    """`unit` repeated to exactly `size` characters."""
    return (unit * (size // len(unit) + 1))[:size]


def nest(opening: str, closing: str, size: int) -> str:
    """`opening` repeated, then as many `closing`: nesting as deep as `size` allows."""
    depth = size // (len(opening) + len(closing))
    return opening * depth + closing * depth


def _wide_table(size: int) -> str:
    header = "|" + "a|" * 60 + "\n|" + "-|" * 60 + "\n"
    return header + fill("x\n", size - len(header))


# Each builds an ASCII text of `size` bytes (give or take a nesting pair).
PATTERNS: dict[str, Callable[[int], str]] = {
    "[": lambda n: fill("[", n),
    "[a": lambda n: fill("[a", n),
    "![": lambda n: fill("![", n),
    "[![a](": lambda n: fill("[![a](", n),
    "[](": lambda n: fill("[](", n),
    "[[[…]]]": lambda n: nest("[", "]", n),
    "[a](((…)))": lambda n: "[a](" + nest("(", ")", n - 4),
    "*a_": lambda n: fill("*a_", n),
    "a**b*": lambda n: fill("a**b*", n),
    "*a *a … a* a*": lambda n: nest("*a ", "a* ", n),
    "~~a": lambda n: fill("~~a", n),
    "``a`": lambda n: fill("``a`", n),
    "<a x=": lambda n: fill("<a x=", n),
    "<!--": lambda n: fill("<!--", n),
    "<div> nesting": lambda n: fill("<div>", n),
    "<b x=…> unclosed": lambda n: "".join(f"<b x={i}>" for i in range(n // 10)),
    "> nesting": lambda n: fill("> ", n),
    "> lines": lambda n: fill(">\n", n),
    "- nesting": lambda n: fill("- ", n),
    "- items": lambda n: fill("-\n", n),
    "table rows padded": lambda n: "a|b\n-|-\n" + fill("x\n", n - 8),
    "table 60 columns padded": _wide_table,
    "table columns": lambda n: "|" + fill("a|", n // 2 - 1) + "\n|" + fill("-|", n // 2 - 1) + "\n",
    "&#x": lambda n: fill("&#x", n),
    "\\": lambda n: fill("\\", n),
    "a\\ lines": lambda n: fill("a\\\n", n),
    "a lines": lambda n: fill("a\n", n),
    "long line": lambda n: fill("word *and* `code` ", n),
}

# The slowest patterns per byte, timed at n and 4n without the budget (n keeps 4n well under a
# second, so the suite stays fast; quadratic growth shows as 16x, linear as 4x).
LINEARITY_CASES = [
    ("[", 2_500), ("![", 1_500), ("[![a](", 1_000), ("[](", 2_500), ("a**b*", 4_000), ("table rows padded", 3_000),
    ("- items", 4_000), ("> nesting", 25_000), ("<b x=…> unclosed", 25_000), ("<div> nesting", 25_000),
]

UNITS = [*string.punctuation, "[a", "![", "[](", "](", "*a", "_a*", "**", "`a", "<a ", "<div>", "<b x=1>",
         "</p>", "> ", "- ", "1. ", "a|b\n", "|-", "&#x", "&amp;", "\\\n", "\n", "a\n", "  \n", "    ", "```\n",
         "<!--", "-->", "http://a.b/ ", "<http://a"]


@st.composite
def adversarial_texts(draw: st.DrawFn) -> str:
    """A short recipe of adversarial pieces, repeated or nested up to the answer size cap."""
    pieces = draw(st.lists(
        st.tuples(st.sampled_from(UNITS) | st.text(string.punctuation + " \n\ta", min_size=1, max_size=6),
                  st.integers(1, 40)),
        min_size=1, max_size=5))
    chunk = "".join(piece * repeat for piece, repeat in pieces)
    size = django_settings.RESPONSE_MAX_BYTES
    if draw(st.booleans()):
        return fill(chunk, size)
    closing = draw(st.sampled_from(["]", ")", "*", "_", "`", "</div>", "\n", "a* ", "](x)"]))
    return nest(chunk, closing, size)


def _seconds(text: str, budget: float | None = None) -> float:
    started = time.perf_counter()
    render_markdown(text) if budget is None else render_markdown(text, budget_seconds=budget)
    return time.perf_counter() - started


def _parser_seconds(text: str) -> float:
    """The fastest of three renders without the budget and without the cyclic garbage collector,
    whose pauses depend on what else the process holds, not on the parser."""
    gc.collect()
    gc.disable()
    try:
        return min(_seconds(text, NO_BUDGET) for _ in range(3))
    finally:
        gc.enable()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=adversarial_texts())
def test_any_adversarial_text_at_the_size_cap_renders_within_the_budget(text):
    assert len(text.encode()) <= django_settings.RESPONSE_MAX_BYTES
    assert _seconds(text) < TIME_BUDGET_SECONDS


@pytest.mark.parametrize("name", PATTERNS)
def test_each_known_bad_pattern_at_the_size_cap_renders_within_the_budget(name):
    text = PATTERNS[name](django_settings.RESPONSE_MAX_BYTES)
    assert _seconds(text) < TIME_BUDGET_SECONDS


@pytest.mark.parametrize(("name", "size"), LINEARITY_CASES)
def test_parsing_time_grows_linearly_on_the_slowest_patterns(name, size):
    ratio = _parser_seconds(PATTERNS[name](4 * size)) / _parser_seconds(PATTERNS[name](size))
    assert ratio < 8, f"{name}: 4x the text took {ratio:.1f}x the time"


def test_the_reported_21_kb_of_brackets_renders_fast():
    # Python-Markdown took about 30 s on this, past gunicorn's timeout.
    assert _seconds("[" * 21_000) < TIME_BUDGET_SECONDS


def test_a_text_over_the_budget_is_shown_as_escaped_plain_paragraphs():
    text = "<script>alert(1)</script> [[[\nsecond line\n\n" + "[" * 20_000
    html = render_markdown(text, budget_seconds=0)
    assert html.startswith(FALLBACK_NOTE)
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; [[[<br>\nsecond line</p>" in html
    assert "<script" not in html


def test_an_image_becomes_a_link_and_nothing_loads_from_elsewhere():
    html = render_markdown('![a *pixel*](https://tracker.example/p.gif "t") and <img src="https://tracker.example/q.gif">')
    assert "<img" not in html
    link = '<a href="https://tracker.example/p.gif" title="t" rel="noopener noreferrer nofollow">image: a pixel</a>'
    assert link in html


def test_an_image_inside_a_link_keeps_the_outer_link():
    html = render_markdown("[![build](https://ci.example/badge.svg)](https://ci.example/run)")
    assert html == '<p><a href="https://ci.example/run" rel="noopener noreferrer nofollow">image: build</a></p>\n'


def test_class_on_div_and_span_is_stripped_but_code_keeps_its_language():
    html = render_markdown('<div class="alert success">x</div>\n\nSee <span class="btn primary">y</span>\n\n'
                           "```python\nx = 1\n```")
    assert "<div>x</div>" in html and "<span>y</span>" in html
    assert 'class="alert' not in html and 'class="btn' not in html
    assert '<code class="language-python">x = 1' in html


def test_scripts_handlers_styles_and_javascript_links_are_still_removed():
    html = render_markdown('Hi <script>alert(1)</script> <b onclick="alert(2)" style="color:red">b</b> '
                           '[a](javascript:alert(3)) [c](JaVaScRiPt:alert(4)) <a href="javascript:alert(5)">d</a>')
    assert "<script" not in html and "onclick" not in html and "style=" not in html
    assert "javascript:" not in html.lower()
    assert "<b>b</b>" in html


def test_links_keep_rel_noopener_noreferrer_nofollow():
    html = render_markdown("[site](https://example.edu/x) <https://example.edu/y>")
    assert html.count('rel="noopener noreferrer nofollow"') == 2


def test_raw_html_beyond_the_tag_limit_is_dropped_but_its_text_kept():
    html = render_markdown("<kbd>z</kbd>" * MAX_RAW_HTML_TAGS)
    assert html.count("<kbd>") == MAX_RAW_HTML_TAGS // 2
    assert html.count("z") == MAX_RAW_HTML_TAGS


def test_a_lone_surrogate_renders_instead_of_crashing():
    assert render_markdown("a\ud800b") == "<p>a?b</p>\n"
