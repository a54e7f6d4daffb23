"""PDF text with pypdfium2, page by page, with OCR for pages that have no usable text layer.

Policy on garbage text layers: a page that draws an image (a scan) and whose text layer does
not look like language (``plausibility``) is read again by OCR, and the OCR text replaces the
layer when it scores clearly better. Born-digital pages (no image) are never re-read.

Policy on invisible text (render mode 3): it is kept. It is exactly how OCR layers of scanned
PDFs work (the Vicksburg sample), and dropping it would make such files unsearchable; hidden
text spam is a lesser risk for a private library than losing every OCR'd archive.

Policy on page count: a PDF with more pages than ``ExtractionLimits.max_pages`` is refused
with ``ExtractionTooLarge`` rather than silently truncated, so a document is either fully
searchable or visibly failed.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
from PIL import Image

from . import mime
from .errors import CorruptDocument, EncryptedDocument, ExtractionTooLarge
from .limits import ExtractionLimits
from .markdown import normalize
from .ocr import OcrUnavailable, language_warnings, ocr_image
from .plausibility import BETTER_BY, SUSPECT_BELOW, plausibility
from .result import Extraction, assemble
from .rtl import holds_arabic, logical_text

# Below this many non-space characters a page counts as having no text layer.
_MIN_TEXT_CHARS = 16
_OCR_DPI = 250


def extract_pdf(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract every page's text; OCR pages that are images only (when OCR is enabled)."""
    document = _open(path)
    try:
        count = len(document)
        if count > limits.max_pages:
            raise ExtractionTooLarge(
                f"The PDF has {count:,} pages; the limit is {limits.max_pages:,}"
            )
        pages: list[str] = []
        warnings: list[str] = []
        ocr_pages = 0
        for index in range(count):
            text, ocred = _page_text(document, index, limits, warnings)
            pages.append(text)
            ocr_pages += ocred
    except pdfium.PdfiumError as exc:
        raise CorruptDocument(f"The PDF is damaged and could not be read ({exc})") from exc
    finally:
        document.close()
    if ocr_pages:
        warnings.extend(language_warnings(limits))
    return assemble(pages, mime.PDF, ocr_used=ocr_pages > 0, warnings=_dedupe(warnings))


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedDocument(
                "The PDF is encrypted with a password; upload an unencrypted copy"
            ) from exc
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedDocument("The PDF uses an unsupported security handler") from exc
        raise CorruptDocument("The PDF is damaged and could not be opened") from exc


def _page_text(
    document: pdfium.PdfDocument, index: int, limits: ExtractionLimits, warnings: list[str]
) -> tuple[str, bool]:
    """Text of one page and whether OCR produced it."""
    page = document[index]
    try:
        text = _text_layer(page)
        has_layer = len("".join(text.split())) >= _MIN_TEXT_CHARS
        suspect = has_layer and plausibility(text) < SUSPECT_BELOW
        if (has_layer and not suspect) or not _has_graphics(page):
            return text, False
        problem = "have an implausible text layer" if suspect else "have no text layer"
        if not limits.ocr:
            warnings.append(f"Some pages {problem} and OCR is disabled")
            return text, False
        try:
            ocr_text = ocr_image(_render(page), limits.ocr_languages)
        except OcrUnavailable as exc:
            warnings.append(f"Some pages {problem}: {exc}")
            return text, False
        if suspect:  # a garbage layer over a scan: OCR wins only when it reads clearly better
            better = plausibility(ocr_text) >= plausibility(text) + BETTER_BY
            return (ocr_text, True) if better else (text, False)
        return (ocr_text, True) if len(ocr_text) > len(text) else (text, False)
    finally:
        page.close()


def _text_layer(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        if holds_arabic(text):
            count = min(len(text), textpage.count_chars())
            text = logical_text(text[:count], [textpage.get_charbox(i) for i in range(count)])
    finally:
        textpage.close()
    # PDFium marks a hyphen it removed while joining a broken word with U+0002.
    return normalize(text.replace("\x02", ""))


def _has_graphics(page: pdfium.PdfPage) -> bool:
    """Whether the page draws anything besides text (an image or vector paths to OCR)."""
    return any(obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT for obj in page.get_objects(max_depth=1))


def _render(page: pdfium.PdfPage) -> Image.Image:
    bitmap = page.render(scale=_OCR_DPI / 72, grayscale=True)
    try:
        image: Image.Image = bitmap.to_pil()
        return image
    finally:
        bitmap.close()


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
