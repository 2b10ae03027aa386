"""Blog Markdown → safe HTML (python-markdown, then nh3's allow-list), and reading time."""

from __future__ import annotations

import math
import re

import markdown
import nh3

WORDS_PER_MINUTE = 180  # a calm reading pace for Russian and English prose
_WORD = re.compile(r"\w+", re.UNICODE)

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "img", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
}


def render_markdown(text: str) -> str:
    """HTML for a post body: Markdown rendered, then everything outside the allow-list
    (scripts, styles, event handlers, javascript: links) removed by nh3."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def reading_minutes(text: str) -> int:
    """Whole minutes to read `text` (at least one)."""
    return max(1, math.ceil(len(_WORD.findall(text or "")) / WORDS_PER_MINUTE))
