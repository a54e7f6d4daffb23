"""OpenDocument (ODT, ODS, ODP) read directly from ``content.xml``.

ODF is a zip of plain XML, so the standard library is enough and the zip-bomb guard applies
to every byte read. ODT keeps headings (``text:h`` outline levels, and the "Title" style),
lists with nesting and tables; each ODS sheet and each ODP slide is one page.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from .errors import CorruptDocument, ExtractionTooLarge
from .limits import ExtractionLimits, check_zip, read_member
from .markdown import blocks, heading, inline, normalize, table
from .result import Extraction, assemble
from .spreadsheet import sheet_page

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
}
# Spreadsheets mark the unused rest of a sheet as one cell repeated thousands of times;
# expanding such runs fully would build millions of empty cells for nothing.
_MAX_REPEAT = 256


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


def extract_odf(path: Path, mime_type: str, limits: ExtractionLimits) -> Extraction:
    """Extract an ODT, ODS or ODP file."""
    root = _content(path, limits)
    body = root.find(_q("office:body"))
    if body is None:
        raise CorruptDocument("The OpenDocument file has no body")
    styles = _paragraph_parents(root)
    pages: list[str]
    if (sheet := body.find(_q("office:spreadsheet"))) is not None:
        pages = [_sheet(table_) for table_ in sheet.iter(_q("table:table"))]
    elif (show := body.find(_q("office:presentation"))) is not None:
        pages = [blocks(_blocks(page, styles)) for page in show.iter(_q("draw:page"))]
    else:
        pages = [blocks(_blocks(body, styles))]
    if len(pages) > limits.max_pages:
        raise ExtractionTooLarge(
            f"The document has {len(pages):,} pages; the limit is {limits.max_pages:,}"
        )
    return assemble(pages, mime_type)


def _content(path: Path, limits: ExtractionLimits) -> ET.Element:
    check_zip(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            data = read_member(archive, "content.xml", limits.max_decompressed_bytes)
        return ET.fromstring(data)
    except (KeyError, zipfile.BadZipFile, ET.ParseError) as exc:
        raise CorruptDocument(f"The OpenDocument file is damaged ({exc})") from exc


def _paragraph_parents(root: ET.Element) -> dict[str, str]:
    """Automatic style name -> the named style it derives from ("P1" -> "Title")."""
    parents: dict[str, str] = {}
    automatic = root.find(_q("office:automatic-styles"))
    for style in automatic.iter(_q("style:style")) if automatic is not None else ():
        parent = style.get(_q("style:parent-style-name"))
        if parent:
            parents[style.get(_q("style:name"), "")] = parent
    return parents


def _blocks(container: ET.Element, styles: dict[str, str]) -> Iterator[str]:
    for element in container:
        tag = element.tag
        if tag == _q("text:h"):
            yield heading(
                int(element.get(_q("text:outline-level"), "1") or 1) + 1, _inline(element)
            )
        elif tag == _q("text:p"):
            yield _paragraph(element, styles)
        elif tag == _q("text:list"):
            yield "\n".join(_list(element, 0))
        elif tag == _q("table:table"):
            yield table(_rows(element))
        else:
            yield from _blocks(element, styles)


def _paragraph(element: ET.Element, styles: dict[str, str]) -> str:
    style = element.get(_q("text:style-name"), "")
    if styles.get(style, style) == "Title":
        return heading(1, _inline(element))
    return normalize(_inline(element))


def _list(element: ET.Element, depth: int) -> Iterator[str]:
    for item in element:
        if item.tag not in (_q("text:list-item"), _q("text:list-header")):
            continue
        for child in item:
            if child.tag == _q("text:list"):
                yield from _list(child, depth + 1)
            elif text := inline(_inline(child)):
                yield "  " * depth + "- " + text


def _inline(element: ET.Element) -> str:
    """Text of a paragraph with ODF's space, tab and line-break elements expanded."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _q("text:s"):
            parts.append(" " * min(int(child.get(_q("text:c"), "1") or 1), 100))
        elif child.tag == _q("text:tab"):
            parts.append("\t")
        elif child.tag == _q("text:line-break"):
            parts.append("\n")
        elif child.tag != _q("text:note"):
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _rows(element: ET.Element) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in element.iter(_q("table:table-row")):
        cells: list[str] = []
        for cell in row:
            text = "\n".join(_inline(p) for p in cell.iter(_q("text:p")))
            cells.extend([text] * _repeat(cell, "table:number-columns-repeated"))
        rows.extend([cells] * (_repeat(row, "table:number-rows-repeated") if any(cells) else 1))
    return rows


def _repeat(element: ET.Element, attribute: str) -> int:
    value = element.get(_q(attribute), "1")
    return min(int(value), _MAX_REPEAT) if value.isdigit() else 1


def _sheet(element: ET.Element) -> str:
    return sheet_page(element.get(_q("table:name"), "Sheet"), _rows(element))
