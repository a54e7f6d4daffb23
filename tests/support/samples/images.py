"""Rendered text images: what a scanner or a phone camera hands over for OCR."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def text_image(
    lines: Sequence[str], width: int = 1700, size: int = 44, accented: bool = False
) -> Image.Image:
    """Black text on white, large and clean enough for Tesseract to read reliably.

    Pillow's built-in font has no accented letters; ``accented`` draws with Amiri (a font
    shipped on PyPI, Latin with diacritics and Arabic) instead.
    """
    font = (
        ImageFont.truetype(str(amiri_font()), size + 4)
        if accented
        else ImageFont.load_default(size=size)
    )
    step = int(size * 1.6)
    image = Image.new("L", (width, 120 + step * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((60, 60 + row * step), line, fill=0, font=font)
    return image


SCAN_PAGES = [
    text_image(["SEASIDE GENERAL HOSPITAL", "Patient report RPT-2026-0042", "Page one"]),
    text_image(["LABORATORY RESULTS", "Blood count within normal range", "Page two"]),
    text_image(["DISCHARGE SUMMARY", "Follow up in two weeks", "Page three"]),
]
GARBLED_SCAN_LINES = ["MINUTES OF THE HARBOUR BOARD", "The pier lights were repaired"]
LAYERED_SCAN_LINES = ["ANNEX TWO", "Tide tables for the winter season"]
IMAGE_TEXT = ["QUARTERLY INVENTORY", "Forty boxes of paper"]
IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}


def write_images(folder: Path) -> None:
    """``inventory.<ext>`` for each single-image format and a two-page ``pages.tiff``."""
    image = text_image(IMAGE_TEXT)
    for suffix, kind in IMAGE_FORMATS.items():
        image.convert("RGB").save(folder / f"inventory.{suffix}", format=kind)
    first, second = text_image(["QUARTERLY REPORT"]), text_image(["SECOND PAGE HERE"])
    first.save(folder / "pages.tiff", save_all=True, append_images=[second])


def amiri_font() -> Path:
    """The Amiri Regular TrueType file from the ``fontpkg-amiri`` package."""
    from fontpkg_amiri import ROOT  # type: ignore[import-untyped]

    return Path(ROOT) / "files" / "Amiri-Regular.ttf"


FRENCH_SCAN_LINES = [
    "Le château de Guédelon",
    "Une forêt près de la rivière",
    "Où les élèves déjeunent à midi",
]
