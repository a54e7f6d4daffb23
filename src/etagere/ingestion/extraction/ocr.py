"""OCR with Tesseract (Debian ``tesseract-ocr``) through pytesseract, and image documents.

Languages (``ETAGERE_OCR_LANGUAGES``): ``eng`` by default, a list such as ``fra+eng`` or
``deu+eng``, or ``auto`` for every installed pack. Each extra language costs time (about
+40% per language per page), which is why ``auto`` is not the default.

Tesseract is an optional system dependency: when it is missing, scans and images yield empty
text plus a warning (the caller reports ``missing_content``), never a crash. Tesseract's
OpenMP threads are pinned to one (``OMP_THREAD_LIMIT=1``): on a small shared machine the
thread pool fights itself and runs about ten times slower.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from . import mime
from .errors import CorruptDocument, ExtractionTooLarge
from .limits import ExtractionLimits
from .markdown import normalize
from .result import Extraction, assemble

# Pillow refuses images above twice this many pixels (decompression bombs); 180 Mpx is far
# beyond any real scan and keeps a hostile image well under the memory cap.
Image.MAX_IMAGE_PIXELS = 90_000_000
# Tesseract gains nothing above ~300 dpi on a letter page; bigger images are scaled down.
_MAX_OCR_PIXELS = 12_000_000


# Packs that are not languages: orientation detection and maths.
_NOT_LANGUAGES = frozenset({"osd", "equ"})


class OcrUnavailable(Exception):
    """OCR cannot run here (no Tesseract, missing language data); the reason is user-facing."""


@functools.cache
def tesseract_available() -> bool:
    """Whether the ``tesseract`` binary can be run."""
    import pytesseract  # type: ignore[import-untyped]  # lazy: it imports numpy (~0.1 s)

    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError):
        return False
    return True


@functools.cache
def installed_languages() -> frozenset[str]:
    """Tesseract language packs installed here (``tesseract --list-langs``), scripts aside."""
    if not tesseract_available():
        return frozenset()
    import pytesseract

    try:
        found = pytesseract.get_languages(config="")
    except (pytesseract.TesseractError, OSError):
        return frozenset()
    return frozenset(name for name in found if name not in _NOT_LANGUAGES)


def resolve_languages(setting: str) -> tuple[str, list[str]]:
    """The ``-l`` argument for Tesseract from ``ETAGERE_OCR_LANGUAGES``, and what was dropped.

    Tesseract leans on the first language: an English-first list reads "château" as
    "chateau", while a French model reads English fine. So ``auto`` (every installed pack)
    puts English last, and the README advises ``fra+eng`` over ``eng+fra``. An explicit list
    (``fra+eng``, ``deu,eng``) keeps its order and drops packs that are not installed, so a
    missing pack costs its language, not every scan. Raises ``OcrUnavailable`` when no
    requested language is installed.
    """
    installed = installed_languages()
    if setting.strip().lower() == "auto":
        requested = sorted(installed, key=lambda name: (name == "eng", name))
    else:
        requested = [name.strip() for name in re.split(r"[+,\s]+", setting) if name.strip()]
    usable = [name for name in requested if name in installed]
    missing = [name for name in requested if name not in installed]
    if not usable:
        raise OcrUnavailable(
            f"OCR languages {setting!r} are not installed (installed: "
            f"{', '.join(sorted(installed)) or 'none'})"
        )
    return "+".join(usable), missing


def ocr_image(image: Image.Image, languages: str) -> str:
    """Recognise the text of one image; raise ``OcrUnavailable`` when OCR cannot run."""
    if not tesseract_available():
        raise OcrUnavailable("OCR is not available (Tesseract is not installed)")
    import pytesseract

    lang, _ = resolve_languages(languages)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        text = pytesseract.image_to_string(_prepare(image), lang=lang)
    except pytesseract.TesseractError as exc:
        raise OcrUnavailable(f"OCR failed: {exc.message.strip() or exc.status}") from exc
    return normalize(text)


def extract_image(path: Path, mime_type: str, limits: ExtractionLimits) -> Extraction:
    """OCR an image file; each frame of a multi-page TIFF is a page, other formats one page."""
    try:
        with Image.open(path) as image:
            frames = _frames(image, mime_type, limits)
            return _ocr_frames(frames, mime_type, limits)
    except Image.DecompressionBombError as exc:
        raise ExtractionTooLarge(f"The image is too large to process ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptDocument(f"The image is damaged and could not be read ({exc})") from exc


def _frames(image: Image.Image, mime_type: str, limits: ExtractionLimits) -> list[Image.Image]:
    if mime_type != mime.TIFF:
        image.seek(0)
        return [image.copy()]
    count = getattr(image, "n_frames", 1)
    if count > limits.max_pages:
        raise ExtractionTooLarge(
            f"The image has {count:,} pages; the limit is {limits.max_pages:,}"
        )
    return [frame.copy() for frame in ImageSequence.Iterator(image)]


def _ocr_frames(frames: list[Image.Image], mime_type: str, limits: ExtractionLimits) -> Extraction:
    if not limits.ocr:
        return assemble([""] * len(frames), mime_type, warnings=["OCR is disabled; image not read"])
    texts: list[str] = []
    try:
        for frame in frames:
            texts.append(ocr_image(frame, limits.ocr_languages))
    except OcrUnavailable as exc:
        return assemble([""] * len(frames), mime_type, warnings=[str(exc)])
    return assemble(texts, mime_type, ocr_used=True, warnings=language_warnings(limits))


def language_warnings(limits: ExtractionLimits) -> list[str]:
    """A warning naming the requested OCR languages that are not installed, if any."""
    try:
        _, missing = resolve_languages(limits.ocr_languages)
    except OcrUnavailable:
        return []
    if not missing:
        return []
    packs = " ".join(f"tesseract-ocr-{name}" for name in missing)
    return [f"OCR languages not installed, skipped: {', '.join(missing)} (install {packs})"]


def _prepare(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and shrink huge images before handing them over."""
    image.load()
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode not in ("RGB", "L", "1"):
        image = image.convert("RGB")
    pixels = image.width * image.height
    if pixels > _MAX_OCR_PIXELS:
        factor = (_MAX_OCR_PIXELS / pixels) ** 0.5
        image = image.resize((int(image.width * factor), int(image.height * factor)))
    return image
