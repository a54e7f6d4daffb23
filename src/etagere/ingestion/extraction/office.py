"""Word documents (DOCX) with python-docx: headings, lists, quotes and tables in body order.

Policy on comments: reviewer comments ARE indexed, after the body under a "Comments" heading.
Anyone who can download the file can read them, so hiding them from search protects nothing,
and they often hold the decisions people later search for. They are kept apart from the body
so that summaries and headings of the document itself stay clean.

Policy on page headers and footers: each distinct one is kept once per document (not once
per page), marked "Page header:" at the top and "Page footer:" at the end, so a title or a
reference that only lives there is searchable without repeating in every chunk.

Tables inside table cells are flattened into their cell ("a, b; c, d": cells by commas, rows
by semicolons), since a Markdown table cell cannot hold a table; merged cells repeat their
text in every grid slot they cover, which keeps rows aligned. Images are dropped (never
base64).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.section import _Footer, _Header
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree  # type: ignore[import-untyped]

from . import mime
from .errors import CorruptDocument
from .limits import ExtractionLimits, check_zip
from .markdown import blocks, heading, inline, table, tighten_lists
from .result import Extraction, assemble

_HEADING_STYLE = re.compile(r"heading\s*(\d)", re.IGNORECASE)
_NUMBERED_FORMATS = frozenset(
    {"decimal", "lowerLetter", "upperLetter", "lowerRoman", "upperRoman", "decimalZero"}
)


def extract_docx(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract a DOCX as Markdown; one page, since Word files carry no reliable pagination."""
    check_zip(path, limits)
    try:
        document = docx.Document(str(path))
        body = blocks(tighten_lists(_body_blocks(document)))
        headers, footers = _page_margins(document)
        comments = _comments(document)
    except (
        PackageNotFoundError,
        KeyError,
        ValueError,
        zipfile.BadZipFile,
        etree.XMLSyntaxError,
    ) as exc:
        raise CorruptDocument(
            f"The Word document is damaged and could not be read ({exc})"
        ) from exc
    return assemble([blocks([headers, body, footers, comments])], mime.DOCX)


def _body_blocks(document: DocxDocument) -> Iterator[str]:
    numbering = _numbering_formats(document)
    # python-docx resolves ``paragraph.style`` by scanning all styles on every call, which
    # is quadratic on long documents; one id -> name map keeps it linear.
    names = {style.style_id: style.name or "" for style in document.styles}
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            yield _table(item)
        else:
            yield _paragraph(item, numbering, names)


def _paragraph(
    paragraph: Paragraph, numbering: dict[tuple[str, str], str], names: dict[str, str]
) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    style_id = paragraph._p.style or "Normal"
    name = names.get(style_id, style_id)
    if name == "Title" or style_id == "Title":
        return heading(1, text)
    match = _HEADING_STYLE.search(name) or _HEADING_STYLE.search(style_id)
    if match:
        return heading(int(match.group(1)), text)
    list_marker = _list_marker(paragraph, name, numbering)
    if list_marker:
        return list_marker + inline(text)
    if name in ("Quote", "Intense Quote"):
        return "> " + inline(text)
    return text


def _list_marker(
    paragraph: Paragraph, style_name: str, numbering: dict[tuple[str, str], str]
) -> str:
    """``- `` or ``1. `` with two spaces per nesting level, or "" for a non-list paragraph."""
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if num_pr is None and not style_name.startswith("List"):
        return ""
    num_id = level = "0"
    if num_pr is not None:
        num_id = _child_value(num_pr, "w:numId") or "0"
        level = _child_value(num_pr, "w:ilvl") or "0"
    level = level if level.isdigit() else "0"
    numbered = numbering.get((num_id, level)) in _NUMBERED_FORMATS
    numbered = numbered or "Number" in style_name
    return "  " * int(level) + ("1. " if numbered else "- ")


def _child_value(element: etree._Element, tag: str) -> str | None:
    child = element.find(qn(tag))
    return None if child is None else child.get(qn("w:val"))


def _numbering_formats(document: DocxDocument) -> dict[tuple[str, str], str]:
    """Map (numId, level) to its number format ("bullet", "decimal"...) from numbering.xml."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract: dict[str, dict[str, str]] = {}
    for node in root.findall(qn("w:abstractNum")):
        levels = {
            lvl.get(qn("w:ilvl"), "0"): fmt.get(qn("w:val"), "")
            for lvl in node.findall(qn("w:lvl"))
            if (fmt := lvl.find(qn("w:numFmt"))) is not None
        }
        abstract[node.get(qn("w:abstractNumId"), "")] = levels
    formats: dict[tuple[str, str], str] = {}
    for num in root.findall(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        levels = abstract.get(ref.get(qn("w:val"), "") if ref is not None else "", {})
        for level, fmt in levels.items():
            formats[(num.get(qn("w:numId"), ""), level)] = fmt
    return formats


def _table(item: Table) -> str:
    # python-docx repeats a merged cell in every grid slot it covers, which keeps rows aligned.
    return table([_cell_text(cell) for cell in row.cells] for row in item.rows)


def _cell_text(cell: _Cell | _Header | _Footer) -> str:
    """Paragraphs and nested tables on one line (``cell.text`` skips nested tables)."""
    parts = [
        _flat_table(item) if isinstance(item, Table) else item.text
        for item in cell.iter_inner_content()
    ]
    return " ".join(" ".join(part.split()) for part in parts if part.strip())


def _flat_table(item: Table) -> str:
    rows = []
    for row in item.rows:
        cells = [_cell_text(cell) for cell in row.cells]
        unique = [text for i, text in enumerate(cells) if text and (i == 0 or text != cells[i - 1])]
        if unique:
            rows.append(", ".join(unique))
    return "; ".join(rows)


def _page_margins(document: DocxDocument) -> tuple[str, str]:
    """Each distinct page header and footer of every section, once, marked as such."""
    headers: dict[str, None] = {}
    footers: dict[str, None] = {}
    for section in document.sections:
        for kind, found in (
            ("header", headers),
            ("first_page_header", headers),
            ("even_page_header", headers),
            ("footer", footers),
            ("first_page_footer", footers),
            ("even_page_footer", footers),
        ):
            part: _Header | _Footer = getattr(section, kind)
            if part.is_linked_to_previous:  # no definition of its own: nothing new to read
                continue
            text = _cell_text(part)
            if text:
                found[text] = None
    return (
        "\n".join(f"Page header: {text}" for text in headers),
        "\n".join(f"Page footer: {text}" for text in footers),
    )


def _comments(document: DocxDocument) -> str:
    try:
        comments = list(document.comments)
    except (KeyError, NotImplementedError):
        return ""
    lines = [f"- {inline(comment.text)}" for comment in comments if comment.text.strip()]
    return blocks([heading(2, "Comments"), "\n".join(lines)]) if lines else ""
