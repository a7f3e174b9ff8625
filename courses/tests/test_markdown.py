"""Markdown rendering: lists as course authors write them, and nothing executable gets through."""

from courses.markdown import render_markdown


def test_a_list_right_after_a_band_heading_renders_as_a_list():
    html = render_markdown("GOOD (7-8 points):\n- Accurate\n- Some depth")
    assert "<p>GOOD (7-8 points):</p>\n<ul>\n<li>Accurate</li>\n<li>Some depth</li>\n</ul>" in html


def test_lines_inside_fenced_code_are_left_alone():
    html = render_markdown("Code:\n```\nx = 1\n- y\n```")
    assert "<pre><code>x = 1\n- y\n</code></pre>" in html


def test_scripts_handlers_and_javascript_links_are_removed():
    html = render_markdown('<script>alert(1)</script><img src="x" onerror="alert(2)"> [a](javascript:alert(3))')
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_details_blocks_and_code_language_survive():
    html = render_markdown("<details><summary>More</summary>\n\nhidden\n</details>\n\n```python\nx = 1\n```")
    assert "<details><summary>More</summary>" in html
    assert '<code class="language-python">' in html
