"""Turning document text into safe HTML: Markdown without raw HTML, and highlighted terms.

Nothing a document contains may reach the page as markup. Markdown is rendered with raw HTML
disabled (tags come out escaped) and images off (no request leaves for another host); links
keep markdown-it's URL check, which drops ``javascript:``, ``vbscript:`` and ``data:`` targets.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_markdown.disable("image")
_WORD = re.compile(r"\w{2,}", re.UNICODE)
MAX_TERMS = 20


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with every tag of the source escaped."""
    return Markup(_markdown.render(text))  # html disabled: safe


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting, longest first so that overlaps prefer them."""
    words = {w.lower() for w in _WORD.findall(query)}
    return sorted(words, key=len, reverse=True)[:MAX_TERMS]


def excerpt(text: str, terms: list[str], width: int = 360) -> str:
    """About ``width`` characters of a passage around its first query term, spaces collapsed."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    lowered = text.lower()
    hits = [i for i in (lowered.find(t) for t in terms) if i >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    end = min(len(text), start + width)
    start = max(0, end - width)
    return ("… " if start else "") + text[start:end].strip() + (" …" if end < len(text) else "")


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with each occurrence of a term wrapped in ``<mark>``."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # every piece escaped above
