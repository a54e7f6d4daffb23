"""In-process extraction: detect the type from content, then hand over to one format module."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from . import mime
from .detect import detect_type
from .errors import EmptyDocument, UnsupportedType
from .limits import ExtractionLimits
from .result import Extraction

_Extractor = Callable[[Path, ExtractionLimits], Extraction]

# Format modules are imported on first use: a sandboxed child extracts one document, and
# importing every parser library up front would double its start-up time.
_BY_TYPE: dict[str, str] = {
    mime.PDF: "pdf:extract_pdf",
    mime.DOCX: "office:extract_docx",
    mime.PPTX: "slides:extract_pptx",
    mime.XLSX: "spreadsheet:extract_xlsx",
    mime.XLS: "spreadsheet:extract_xls",
    mime.DOC: "legacy:extract_doc",
    mime.EPUB: "epub:extract_epub",
    mime.RTF: "rtf:extract_rtf",
    mime.HTML: "html:extract_html",
    mime.EML: "eml:extract_eml",
}
_WITH_TYPE: dict[str, str] = {
    **dict.fromkeys(mime.IMAGES, "ocr:extract_image"),
    **dict.fromkeys((mime.ODT, mime.ODS, mime.ODP), "odf:extract_odf"),
}


def extract(path: Path, *, filename: str | None, limits: ExtractionLimits) -> Extraction:
    """Extract a document's text as Markdown with its page map, in this process."""
    if path.stat().st_size == 0:
        raise EmptyDocument()
    mime_type = detect_type(path, filename)
    return _extractor(mime_type)(path, limits)


def _extractor(mime_type: str) -> _Extractor:
    if mime_type == mime.PPT:
        raise UnsupportedType(
            "Legacy PowerPoint (.ppt) files are not supported; save the file as .pptx or PDF"
        )
    if mime_type in _BY_TYPE:
        return _load(_BY_TYPE[mime_type])
    with_type = _WITH_TYPE.get(mime_type, "text:extract_text")
    return partial(_call_with_type, _load(with_type), mime_type)


def _call_with_type(
    function: Callable[[Path, str, ExtractionLimits], Extraction],
    mime_type: str,
    path: Path,
    limits: ExtractionLimits,
) -> Extraction:
    return function(path, mime_type, limits)


def _load(target: str) -> Callable[..., Extraction]:
    module_name, function_name = target.split(":")
    module = importlib.import_module(f"{__package__}.{module_name}")
    function: Callable[..., Extraction] = getattr(module, function_name)
    return function
