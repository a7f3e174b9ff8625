"""Markdown to safe HTML in bounded time: markdown-it-py (CommonMark), then nh3.

Every text users write (answers, feedback, regrade reasons and replies, comment-bank entries,
imported prompts) is rendered here, so no text may make a page slow for the people reading it:

- markdown-it-py's parser is linear in its input, but its constant ranges from a fraction of
  a microsecond per byte (prose) to tens (a long run of `![`, a table padded with empty
  cells). So parsing and rendering tick as they go (per block, per inline position, per
  token), and a text still unfinished after `RENDER_BUDGET_SECONDS` is shown as escaped
  plain paragraphs instead. Ordinary texts, even 100 KB of dense Markdown, finish in a
  fraction of the budget (`bench/markdown.py` prints the figures).
- nh3's HTML5 parser is quadratic on some raw HTML (deep nesting; many unclosed formatting
  tags with distinct attributes), so raw HTML reaches it only as bare tags from a short list,
  without attributes, at most `MAX_RAW_HTML_TAGS` per text. Markdown's own output is
  well-formed and nested at most `MAX_NESTING` deep.

Nothing in the output loads from elsewhere when a page opens: an image becomes a link to it
reading "image: <alt text>", so an answer cannot carry a tracking pixel. No `class` survives
except `language-…` on `code` (from fenced code), so an answer cannot dress itself in the
site's own styles.
"""

import html
import re
import time
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core.block import block as _core_block

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "details": {"open"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

# Raw HTML an author may write, as bare tags. Formatting tags (b, i, em, strong, s, code) are
# safe without attributes: the HTML5 parser keeps at most three identical ones open.
RAW_HTML_TAGS = ALLOWED_TAGS - {"a"}
RAW_VOID_TAGS = {"br", "hr"}
MAX_RAW_HTML_TAGS = 256
MAX_NESTING = 20  # markdown-it's CommonMark default, for blocks and for inline markup

RENDER_BUDGET_SECONDS = 0.25
CHECK_EVERY = 64  # ticks between looks at the clock; a tick is at most tens of microseconds
FALLBACK_NOTE = "<p><em>Shown as plain text: this text has too much Markdown structure to format.</em></p>\n"


class _OverBudget(Exception):
    """The text did not render within its time budget."""


def _tick(env: dict[str, Any]) -> None:
    """A unit of parser or renderer work; every `CHECK_EVERY` units, stop if the deadline has passed."""
    env["ticks"] -= 1
    if env["ticks"] <= 0:
        env["ticks"] = CHECK_EVERY
        if time.perf_counter() > env["deadline"]:
            raise _OverBudget


class _TickingTokens(list):
    """The block token stream, ticking as tokens are appended.

    Lists and tables make many tokens in one block rule call (GFM pads a short table row with
    empty cells, so two bytes of input can become dozens of cells).
    """

    def __init__(self, env: dict[str, Any]) -> None:
        super().__init__()
        self.env = env

    def append(self, token: Any) -> None:
        _tick(self.env)
        super().append(token)


def _ticking_block(state: Any) -> None:
    """Core "block" rule, parsing into a token stream that ticks."""
    state.tokens = _TickingTokens(state.env)
    _core_block(state)


def _block_tick(state: Any, start_line: int, end_line: int, silent: bool) -> bool:
    """First block rule: ticks at every block start and every line of a paragraph, list or quote."""
    _tick(state.env)
    return False


def _inline_tick(state: Any, silent: bool) -> bool:
    """First inline rule: ticks at every position the inline parser tries."""
    _tick(state.env)
    return False


def _ticking_inline_parse(parse: Any) -> Any:
    """The inline parser's `parse`, ticking once per paragraph, heading or table cell."""

    def ticking(src: str, md: MarkdownIt, env: dict[str, Any], tokens: list) -> None:
        _tick(env)
        parse(src, md, env, tokens)

    return ticking


def _ticking_skip_token(skip_token: Any) -> Any:
    """The inline parser's `skipToken`, ticking: link labels are scanned one token at a time."""

    def ticking(state: Any) -> None:
        _tick(state.env)
        skip_token(state)

    return ticking


def _ticking_render_token(render_token: Any) -> Any:
    """The renderer's `renderToken`, ticking once per tag it writes."""

    def ticking(tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
        _tick(env)
        return render_token(tokens, idx, options, env)

    return ticking


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_OPEN_ATTRIBUTE = re.compile(r"(?:^|\s)open(?:\s|=|/|$)", re.IGNORECASE)


def _raw_html(content: str, env: dict[str, Any]) -> str:
    """Raw HTML as bare allowed tags and escaped text; comments and other tags dropped.

    `[^<>]*` in `_TAG` keeps the scan linear: a failed match at one `<` stops at the next.
    """
    out: list[str] = []
    for segment in _without_comments(content):
        position = 0
        for match in _TAG.finditer(segment):
            out.append(_escape_angles(segment[position:match.start()]))
            position = match.end()
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in RAW_HTML_TAGS or env["raw_tags"] >= MAX_RAW_HTML_TAGS:
                continue
            env["raw_tags"] += 1
            if closing:
                if name not in RAW_VOID_TAGS:
                    out.append(f"</{name}>")
            elif name == "details" and _OPEN_ATTRIBUTE.search(attributes):
                out.append("<details open>")
            else:
                out.append(f"<{name}>")
        out.append(_escape_angles(segment[position:]))
    return "".join(out)


def _escape_angles(text: str) -> str:
    """`<` and `>` escaped; entities such as `&nbsp;` are left for the HTML parser."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _without_comments(content: str) -> list[str]:
    """The text around `<!-- … -->` comments; an unclosed `<!--` stays as text."""
    segments = []
    position = 0
    while (start := content.find("<!--", position)) != -1:
        end = content.find("-->", start + 4)
        if end == -1:
            break
        segments.append(content[position:start])
        position = end + 3
    segments.append(content[position:])
    return segments


def _render_raw_html(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    return _raw_html(tokens[idx].content, env)


def _render_link_open(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    env["in_link"] += 1
    return self.renderToken(tokens, idx, options, env)


def _render_link_close(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    env["in_link"] -= 1
    return self.renderToken(tokens, idx, options, env)


def _render_image(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    """An image as a link to it, so nothing is fetched when the page opens (no tracking pixels)."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    label = escapeHtml(f"image: {alt}" if alt else "image")
    if env["in_link"]:
        return label  # a link cannot hold a link; the outer one still leads somewhere
    title = token.attrGet("title")
    title_attribute = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<a href="{escapeHtml(str(token.attrGet("src") or ""))}"{title_attribute}>{label}</a>'


def _render_cell_open(self: Any, tokens: list, idx: int, options: Any, env: dict[str, Any]) -> str:
    """Table alignment as the `align` attribute, which the sanitiser keeps (it drops `style`)."""
    token = tokens[idx]
    style = str(token.attrGet("style") or "")
    if style.startswith("text-align:"):
        token.attrs.pop("style")
        token.attrSet("align", style.removeprefix("text-align:"))
    return self.renderToken(tokens, idx, options, env)


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING, "xhtmlOut": False})
    parser.enable(["table", "strikethrough"])
    # Every scheme reaches nh3, which removes those not in URL_SCHEMES: a rejected link then
    # shows as its text, not as Markdown source with the URL in it.
    parser.validateLink = lambda url: True
    parser.core.ruler.at("block", _ticking_block)
    # Also first in the chains that end a paragraph, list or quote, tried at each of their lines.
    parser.block.ruler.before("table", "tick", _block_tick, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    parser.inline.ruler.before("text", "tick", _inline_tick)
    # Instance attributes: the parser calls these through `state.md.inline` and `self`.
    parser.inline.parse = _ticking_inline_parse(parser.inline.parse)  # type: ignore[method-assign]
    parser.inline.skipToken = _ticking_skip_token(parser.inline.skipToken)  # type: ignore[method-assign]
    parser.renderer.renderToken = _ticking_render_token(parser.renderer.renderToken)  # type: ignore[method-assign]
    for name in ("html_block", "html_inline"):
        parser.add_render_rule(name, _render_raw_html)
    parser.add_render_rule("link_open", _render_link_open)
    parser.add_render_rule("link_close", _render_link_close)
    parser.add_render_rule("image", _render_image)
    parser.add_render_rule("th_open", _render_cell_open)
    parser.add_render_rule("td_open", _render_cell_open)
    return parser


_PARSER = _build_parser()


_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,40}")


def _keep_only_language_classes(element: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: of classes, only one `language-…` on `code` stays."""
    if attribute != "class":
        return value
    if element != "code":
        return None
    return next((name for name in value.split() if _LANGUAGE_CLASS.fullmatch(name)), None)


def _plain_paragraphs(text: str) -> str:
    """The text escaped, one paragraph per blank-line-separated block, line breaks kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    paragraphs = [html.escape(part.strip("\n")) for part in re.split(r"\n[ \t]*\n", text) if part.strip()]
    return FALLBACK_NOTE + "".join("<p>" + part.replace("\n", "<br>\n") + "</p>\n" for part in paragraphs)


def render_markdown(text: str, *, budget_seconds: float = RENDER_BUDGET_SECONDS) -> str:
    """Sanitised HTML for untrusted Markdown (questions, feedback, answers), within the budget."""
    text = (text or "").encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    env = {"deadline": time.perf_counter() + budget_seconds, "ticks": CHECK_EVERY, "raw_tags": 0, "in_link": 0}
    try:
        rendered = _PARSER.render(text, env)
    except _OverBudget:
        return _plain_paragraphs(text)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_only_language_classes,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )
