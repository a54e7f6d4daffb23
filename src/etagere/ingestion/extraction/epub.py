"""EPUB: the OPF package's metadata, then each spine document in reading order as Markdown.

An EPUB is a zip of XHTML files; it is read with the standard library under the zip-bomb
guard, and each chapter goes through the HTML converter with page chrome removal off (an
e-book has no chrome, and cutting by class names could drop real text). The navigation
document (table of contents) is skipped: it only repeats chapter titles.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from . import mime
from .errors import CorruptDocument
from .html import html_to_markdown
from .limits import ExtractionLimits, check_zip, read_member
from .markdown import blocks, heading, inline
from .result import Extraction, assemble
from .text import decode_text

_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_HTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})


def extract_epub(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract an EPUB as one Markdown document (e-books have no fixed pages)."""
    check_zip(path, limits)
    budget = limits.max_decompressed_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            opf_path = _package_path(archive, budget)
            package = ET.fromstring(read_member(archive, opf_path, budget))
            chapters = [
                html_to_markdown(decode_text(read_member(archive, name, budget)), main_only=False)
                for name in _spine(package, posixpath.dirname(opf_path))
                if name in archive.NameToInfo
            ]
    except (KeyError, zipfile.BadZipFile, ET.ParseError) as exc:
        raise CorruptDocument(f"The e-book is damaged and could not be read ({exc})") from exc
    return assemble([blocks([_front_matter(package), *chapters])], mime.EPUB)


def _package_path(archive: zipfile.ZipFile, budget: int) -> str:
    container = ET.fromstring(read_member(archive, "META-INF/container.xml", budget))
    rootfile = container.find(f".//{_CONTAINER}rootfile")
    if rootfile is None or not rootfile.get("full-path"):
        raise CorruptDocument("The e-book has no package document")
    return rootfile.get("full-path", "")


def _spine(package: ET.Element, base: str) -> list[str]:
    """Archive paths of the reading-order documents, navigation document excluded."""
    manifest = {item.get("id", ""): item for item in package.iter(f"{_OPF}item")}
    paths: list[str] = []
    for ref in package.iter(f"{_OPF}itemref"):
        item = manifest.get(ref.get("idref", ""))
        if item is None or item.get("media-type") not in _HTML_TYPES:
            continue
        if "nav" in (item.get("properties") or "").split():
            continue
        href = (item.get("href") or "").split("#")[0]
        paths.append(posixpath.normpath(posixpath.join(base, href)))
    return paths


def _front_matter(package: ET.Element) -> str:
    title = package.find(f".//{_DC}title")
    creators = [inline(node.text or "") for node in package.iter(f"{_DC}creator")]
    lines = [f"Author: {name}" for name in creators if name]
    return blocks([heading(1, title.text or "") if title is not None else "", "\n".join(lines)])
