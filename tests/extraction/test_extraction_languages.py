"""Languages beyond English: OCR packs (``ETAGERE_OCR_LANGUAGES``) and right-to-left PDF text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etagere.ingestion.extraction import ExtractionLimits, extract
from etagere.ingestion.extraction.ocr import installed_languages
from tests.support.samples import pdfs
from tests.support.samples.images import FRENCH_SCAN_LINES, amiri_font, text_image

ACCENTED = ("château", "Guédelon", "forêt", "rivière", "élèves", "déjeunent")


@pytest.fixture(scope="module")
def french_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scan of accented French; CI must have the French pack (``.ci/run`` installs it)."""
    if "fra" not in installed_languages() and not os.environ.get("CI"):
        pytest.skip("the French OCR pack is not installed (apt-get install tesseract-ocr-fra)")
    folder = tmp_path_factory.mktemp("french")
    image = text_image(FRENCH_SCAN_LINES, accented=True)
    return pdfs.write_scanned_pdf(folder / "guedelon.pdf", [image])


@pytest.mark.ocr
@pytest.mark.parametrize("languages", ["fra", "fra+eng", "auto"])
def test_french_scan_keeps_its_accents(french_scan: Path, languages: str) -> None:
    result = extract(french_scan, filename=None, limits=ExtractionLimits(ocr_languages=languages))
    assert result.ocr_used
    for word in ACCENTED:
        assert word in result.markdown, (word, result.markdown)
    assert not result.warnings


@pytest.mark.ocr
def test_english_only_ocr_loses_the_accents(french_scan: Path) -> None:
    """The control: the default English model misreads the accents, so the setting matters."""
    result = extract(french_scan, filename=None, limits=ExtractionLimits(ocr_languages="eng"))
    assert "Le ch" in result.markdown
    assert not all(word in result.markdown for word in ACCENTED)


@pytest.mark.ocr
def test_a_missing_pack_is_skipped_with_a_warning(french_scan: Path) -> None:
    limits = ExtractionLimits(ocr_languages="fra+xxx")
    result = extract(french_scan, filename=None, limits=limits)
    assert "château" in result.markdown
    assert list(result.warnings) == [
        "OCR languages not installed, skipped: xxx (install tesseract-ocr-xxx)"
    ]


ARABIC_LINES = ["حَبيبي يذهب إلى المدرسة", "قَرأ الطالب كتابا جديدا"]
# Marks inside words (several per word, shadda with a vowel), and Latin words and numbers
# inside a right-to-left line.
VOWELLED_LINES = ["ذَهَبَ الوَلَدُ إلى البَيْتِ", "مُحَمَّدٌ يَدْرُسُ", "كتاب Python 3 جديد"]


def test_arabic_marks_stay_after_their_letters(tmp_path: Path) -> None:
    """Glyph-by-glyph right-to-left PDF text keeps its vowel marks in logical order."""
    path = pdfs.write_rtl_glyph_pdf(tmp_path / "arabic.pdf", ARABIC_LINES, amiri_font())
    result = extract(path, filename=None, limits=ExtractionLimits())
    assert result.markdown.splitlines() == ARABIC_LINES
    assert "حَبيبي" in result.markdown.split()


def test_arabic_glyphs_drawn_in_visual_order_read_in_reading_order(tmp_path: Path) -> None:
    """A writer that draws each line's glyphs from the left: words are not reversed."""
    path = pdfs.write_rtl_glyph_pdf(
        tmp_path / "arabic.pdf", ARABIC_LINES, amiri_font(), visual=True
    )
    result = extract(path, filename=None, limits=ExtractionLimits())
    assert result.markdown.splitlines() == ARABIC_LINES


def test_shaped_arabic_reads_in_order_with_marks_on_their_letters(tmp_path: Path) -> None:
    """Shaped text (joined forms, marks raised over their letters, several per word) comes
    out one line per line, each mark after its letter, Latin words and numbers in order."""
    path = pdfs.write_shaped_arabic_pdf(tmp_path / "shaped.pdf", VOWELLED_LINES, amiri_font())
    result = extract(path, filename=None, limits=ExtractionLimits())
    assert result.markdown.splitlines() == VOWELLED_LINES
    assert "البَيْتِ" in result.markdown.split()
