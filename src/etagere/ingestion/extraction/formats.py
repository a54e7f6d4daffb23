"""The formats etagere reads: for each, its MIME types, how passages are cited, its extractor.

One row per format holds every fact about it, so adding a format means one row here, a
detection rule (``detect.py``) and its module. Extractors are named as ``"module:function"``
and imported on first use: a sandboxed child extracts one document, and importing every
parser library up front would multiply its start-up time (about 0.8 s against 6 s here).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import mime


@dataclass(frozen=True)
class Format:
    name: str
    mime_types: frozenset[str]
    extractor: str  # "module:function" in this package
    paged: bool = False  # passages are cited by page ("p. 4"), else by section
    takes_type: bool = False  # the extractor is called as (path, mime_type, limits)


def _one(*types: str) -> frozenset[str]:
    return frozenset(types)


FORMATS: tuple[Format, ...] = (
    Format("PDF", _one(mime.PDF), "pdf:extract_pdf", paged=True),
    Format("Word", _one(mime.DOCX), "office:extract_docx"),
    Format("PowerPoint", _one(mime.PPTX), "slides:extract_pptx", paged=True),
    Format("Excel", _one(mime.XLSX), "spreadsheet:extract_xlsx", paged=True),
    Format("Excel 97-2003", _one(mime.XLS), "spreadsheet:extract_xls", paged=True),
    Format("Word 97-2003", _one(mime.DOC), "legacy:extract_doc"),
    Format("EPUB", _one(mime.EPUB), "epub:extract_epub"),
    Format("RTF", _one(mime.RTF), "rtf:extract_rtf"),
    Format("HTML", _one(mime.HTML), "html:extract_html"),
    Format("e-mail", _one(mime.EML), "eml:extract_eml"),
    Format("image", mime.IMAGES, "ocr:extract_image", paged=True, takes_type=True),
    Format("OpenDocument text", _one(mime.ODT), "odf:extract_odf", takes_type=True),
    Format("OpenDocument sheet", _one(mime.ODS), "odf:extract_odf", paged=True, takes_type=True),
    Format("OpenDocument slides", _one(mime.ODP), "odf:extract_odf", takes_type=True),
)
# Everything detected as text (plain, Markdown, CSV, JSON, XML, YAML, source code...).
TEXT = Format("text", frozenset(), "text:extract_text", takes_type=True)
UNSUPPORTED = {
    mime.PPT: "Legacy PowerPoint (.ppt) files are not supported; save the file as .pptx or PDF",
}

_BY_TYPE = {t: f for f in FORMATS for t in f.mime_types}


def format_of(mime_type: str) -> Format:
    """The format of a detected MIME type (text formats share one extractor)."""
    return _BY_TYPE.get(mime_type, TEXT)


def is_paged(mime_type: str | None) -> bool:
    """Whether a passage of this type is cited by page number."""
    return mime_type is not None and format_of(mime_type).paged
