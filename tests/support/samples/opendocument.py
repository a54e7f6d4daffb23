"""OpenDocument files (ODT, ODS, ODP): a zip with a ``mimetype`` and a ``content.xml``."""

from __future__ import annotations

import zipfile
from pathlib import Path

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
)


def write_odt(path: Path) -> Path:
    body = (
        '<text:h text:outline-level="1">Field notes</text:h>'
        "<text:p>Lorem ipsum is placeholder text used by printers since long ago.</text:p>"
        '<text:h text:outline-level="2">Second section</text:h>'
        "<text:p>The heron waited in the reeds.</text:p>"
    )
    return _write(path, "text", f"<office:text>{body}</office:text>")


def write_ods(path: Path) -> Path:
    rows = [["city", "people"], ["Lyon", "522000"]]
    cells = "".join(
        "<table:table-row>"
        + "".join(f"<table:table-cell><text:p>{value}</text:p></table:table-cell>" for value in row)
        + "</table:table-row>"
        for row in rows
    )
    sheet = f'<table:table table:name="Cities">{cells}</table:table>'
    return _write(path, "spreadsheet", f"<office:spreadsheet>{sheet}</office:spreadsheet>")


def write_odp(path: Path) -> Path:
    pages = "".join(
        f'<draw:page draw:name="p{n}"><draw:frame><draw:text-box>'
        f"<text:p>{text}</text:p></draw:text-box></draw:frame></draw:page>"
        for n, text in enumerate(["Welcome to the talk", "Thank you for listening"], 1)
    )
    return _write(path, "presentation", f"<office:presentation>{pages}</office:presentation>")


def _write(path: Path, kind: str, body: str) -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS} '
        f'office:version="1.2"><office:body>{body}</office:body></office:document-content>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
