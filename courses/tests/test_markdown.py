"""Markdown rendering: lists as course authors write them, and nothing executable gets through.

Adversarial input, images and classes: test_markdown_adversarial.py.
"""

from courses.markdown import render_markdown


def test_a_list_right_after_a_band_heading_renders_as_a_list():
    html = render_markdown("GOOD (7-8 points):\n- Accurate\n- Some depth")
    assert "<p>GOOD (7-8 points):</p>\n<ul>\n<li>Accurate</li>\n<li>Some depth</li>\n</ul>" in html


def test_lines_inside_fenced_code_are_left_alone():
    html = render_markdown("Code:\n```\nx = 1\n- y\n```")
    assert "<pre><code>x = 1\n- y\n</code></pre>" in html


def test_scripts_handlers_and_javascript_links_are_removed():
    html = render_markdown('Hi <script>alert(1)</script><img src="x" onerror="alert(2)"> [a](javascript:alert(3))')
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_a_line_that_starts_with_a_tag_is_raw_html_and_still_sanitised():
    # CommonMark: the whole line is an HTML block, so the link stays as its text, never as a link.
    html = render_markdown('<script>alert(1)</script><img src="x" onerror="alert(2)"> [a](javascript:alert(3))')
    assert "<script" not in html and "onerror" not in html and "href" not in html


def test_details_blocks_and_code_language_survive():
    html = render_markdown("<details><summary>More</summary>\n\nhidden\n</details>\n\n```python\nx = 1\n```")
    assert "<details><summary>More</summary>" in html
    assert '<code class="language-python">' in html
