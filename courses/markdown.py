"""Markdown to safe HTML: rendered with Python-Markdown, then sanitised with nh3."""

import re

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    "th": {"align"},
    "td": {"align"},
    "details": {"open"},
}
EXTENSIONS = ["fenced_code", "tables", "sane_lists", "md_in_html"]


_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def _lists_may_interrupt_paragraphs(text: str) -> str:
    """Add the blank line Python-Markdown wants before a list that follows a paragraph line.

    Mark schemes and answers are written like `GOOD (7-8 points):` followed directly by
    `- criterion` lines, as CommonMark and GitHub render them; fenced code is left alone.
    """
    lines = text.splitlines()
    out: list[str] = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and _LIST_ITEM.match(line) and out and out[-1].strip() and not _LIST_ITEM.match(out[-1]):
            if not out[-1].startswith((" ", "\t")):
                out.append("")
        out.append(line)
    return "\n".join(out)


def render_markdown(text: str) -> str:
    """Sanitised HTML for untrusted Markdown (questions, feedback, answers)."""
    html = md.markdown(_lists_may_interrupt_paragraphs(text or ""), extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
