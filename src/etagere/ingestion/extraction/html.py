"""HTML to Markdown with selectolax (Lexbor): main content only, structure kept.

Main content is found with cheap, explainable rules rather than a statistical extractor: the
page's ``<article>``, ``<main>`` or ``role=main`` element when it has real text, else the
body. Inside it, navigation chrome is cut by tag (nav, aside, footer, forms, buttons) and by
class/id words (menu, sidebar, toolbar, dropdown...), which is what removes Wikipedia's
"move to sidebar" buttons and language menus while keeping the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from . import mime
from .limits import ExtractionLimits
from .markdown import blocks, heading, inline, normalize, table
from .result import Extraction, assemble
from .text import fenced, read_text

_SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "object",
        "embed",
        "head",
        "button",
        "input",
        "select",
        "textarea",
        "form",
        "nav",
        "aside",
        "footer",
        "canvas",
        "math",
        "label",
        "dialog",
        "-comment",
    }
)
_BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "figure",
        "figcaption",
        "dl",
        "dt",
        "dd",
        "address",
        "center",
        "details",
        "summary",
        "body",
        "html",
        "tr",
        "caption",
        "hr",
    }
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_CHROME_WORDS = frozenset(
    {
        "nav",
        "navbar",
        "navbox",
        "navigation",
        "menu",
        "sidebar",
        "toolbar",
        "dropdown",
        "breadcrumb",
        "breadcrumbs",
        "footer",
        "cookie",
        "cookies",
        "banner",
        "share",
        "social",
        "editsection",
        "noprint",
        "catlinks",
        "jump",
        "skip",
        "toc",
        "pinnable",
        "advert",
        "ads",
        "popup",
        "modal",
        "indicators",
        "sitesub",
        "portlet",
        "subscribe",
        "newsletter",
    }
)
_WORD_SPLIT = re.compile(r"[\s_-]+")
_MIN_MAIN_CHARS = 200
_MAX_COLSPAN = 50


@dataclass
class _Writer:
    """Collects finished blocks and the inline text of the block being built."""

    blocks: list[str] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)

    def flush(self) -> None:
        text = normalize(" ".join("".join(self.inline).split(" ")))
        if text:
            self.blocks.append("\n".join(line.strip() for line in text.split("\n")))
        self.inline.clear()

    def add(self, block: str) -> None:
        self.flush()
        if block:
            self.blocks.append(block)


def extract_html(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract the main content of an HTML page as Markdown (one page)."""
    return assemble([html_to_markdown(read_text(path, limits))], mime.HTML)


def html_to_markdown(html: str, *, main_only: bool = True) -> str:
    """Convert HTML to Markdown; ``main_only`` drops page chrome (off for e-book chapters)."""
    tree = LexborHTMLParser(html)
    root = _main_root(tree) if main_only else tree.body
    if root is None:
        return ""
    if main_only:
        _strip_chrome(root)
    writer = _Writer()
    _walk(root, writer)
    writer.flush()
    markdown = blocks(writer.blocks)
    title = tree.css_first("title")
    if main_only and title is not None and not markdown.startswith("# "):
        markdown = blocks([heading(1, title.text()), markdown])
    return markdown


def _main_root(tree: LexborHTMLParser) -> LexborNode | None:
    for selector in ("article", "main", "[role=main]", "#content", "#main"):
        candidates = tree.css(selector)
        if len(candidates) == 1 and len(candidates[0].text(strip=True)) >= _MIN_MAIN_CHARS:
            return candidates[0]
    return tree.body


def _strip_chrome(root: LexborNode) -> None:
    doomed = [node for node in root.traverse() if node is not root and _is_chrome(node)]
    for node in doomed:
        node.decompose()


def _is_chrome(node: LexborNode) -> bool:
    if node.tag in _SKIP:
        return True
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    if "display:none" in (attrs.get("style") or "").replace(" ", ""):
        return True
    if attrs.get("role") in ("navigation", "banner", "contentinfo", "search", "menu"):
        return True
    words = _WORD_SPLIT.split(f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower())
    return not _CHROME_WORDS.isdisjoint(words)


def _walk(node: LexborNode, writer: _Writer) -> None:
    for child in node.iter(include_text=True):
        _visit(child, writer)


def _visit(node: LexborNode, writer: _Writer) -> None:
    tag = node.tag
    if tag == "-text":
        writer.inline.append((node.text_content or "").replace("\n", " "))
    elif tag in _SKIP:
        return
    elif tag in _HEADINGS:
        writer.add(heading(_HEADINGS[tag], node.text(separator=" ")))
    elif tag in ("ul", "ol"):
        writer.add(_list(node, 0))
    elif tag == "table":
        writer.add(_table(node))
    elif tag == "pre":
        writer.add(fenced(node.text(deep=True), ""))
    elif tag == "blockquote":
        writer.add(_quote(node))
    elif tag == "br":
        writer.inline.append("\n")
    elif tag in _BLOCK:
        writer.flush()
        _walk(node, writer)
        writer.flush()
    else:
        _walk(node, writer)


def _list(node: LexborNode, depth: int) -> str:
    ordered = node.tag == "ol"
    lines: list[str] = []
    items = [child for child in node.iter() if child.tag == "li"]
    for number, item in enumerate(items, start=1):
        writer = _Writer()
        nested: list[str] = []
        for child in item.iter(include_text=True):
            if child.tag in ("ul", "ol"):
                nested.append(_list(child, depth + 1))
            else:
                _visit(child, writer)
        writer.flush()
        text = inline(" ".join(writer.blocks))
        if text:
            lines.append("  " * depth + (f"{number}. " if ordered else "- ") + text)
        lines.extend(block for block in nested if block)
    return "\n".join(lines)


def _table(node: LexborNode) -> str:
    rows: list[list[str]] = []
    for row in _rows(node):
        cells: list[str] = []
        for cell in row.iter():
            if cell.tag in ("td", "th"):
                span = _colspan(cell)
                cells.extend([inline(cell.text(separator=" "))] * span)
        rows.append(cells)
    return table(rows)


def _rows(node: LexborNode) -> list[LexborNode]:
    """Rows of this table only, not of tables nested inside its cells."""
    rows: list[LexborNode] = []
    for child in node.iter():
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(row for row in child.iter() if row.tag == "tr")
    return rows


def _colspan(cell: LexborNode) -> int:
    value = cell.attributes.get("colspan") or "1"
    return min(int(value), _MAX_COLSPAN) if value.isdigit() and int(value) > 0 else 1


def _quote(node: LexborNode) -> str:
    writer = _Writer()
    _walk(node, writer)
    writer.flush()
    return "\n".join(f"> {line}".rstrip() for line in blocks(writer.blocks).split("\n"))
