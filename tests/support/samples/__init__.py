"""Test documents built on the fly, one generator per format family (nothing binary committed).

The default suite needs no outside files: every format etagere reads, scans, encrypted and
corrupt files are written here from text of our own. ``build_samples(folder)`` writes the
whole set once per session (the ``samples`` fixture); single generators are used directly
where a test needs a variant.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.samples import images, markup, office, opendocument, pdfs
from tests.support.samples.prose import CRAZY_ONES, DUCKS, WORD_PROCESSORS

GARBLED_TEXT = "\n".join(images.GARBLED_SCAN_LINES)
# A faithful layer keeps a word the image does not show: it proves the layer, not OCR, was kept.
LAYERED_TEXT = "\n".join([*images.LAYERED_SCAN_LINES, "layeronly"])


def build_samples(folder: Path) -> Path:
    """Write every sample document into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    pdfs.write_text_pdf(folder / "word_processors.pdf", WORD_PROCESSORS)
    pdfs.write_text_pdf(folder / "crazy_ones.pdf", [CRAZY_ONES])
    pdfs.write_scanned_pdf(folder / "scanned_report.pdf", images.SCAN_PAGES)
    pdfs.write_scan_with_layer(
        folder / "garbled_layer.pdf",
        [
            (images.text_image(images.GARBLED_SCAN_LINES), pdfs.garbage_layer(GARBLED_TEXT)),
            (images.text_image(images.LAYERED_SCAN_LINES), LAYERED_TEXT),
        ],
    )
    pdfs.write_encrypted_pdf(folder / "encrypted.pdf", "A secret page behind a password")
    pdfs.write_broken_xref_pdf(folder / "broken_xref.pdf", "test example of a broken xref")
    (folder / "ducks.html").write_text(DUCKS, encoding="utf-8")
    office.write_docx(folder / "report.docx")
    office.write_layout_docx(folder / "layout.docx")
    office.write_pptx(folder / "slides.pptx")
    office.write_xlsx(folder / "figures.xlsx")
    office.write_xls(folder / "figures.xls")
    office.write_doc(folder / "legacy.doc")
    office.write_doc(folder / "locked.doc", encrypted=True)
    opendocument.write_odt(folder / "notes.odt")
    opendocument.write_ods(folder / "sheet.ods")
    opendocument.write_odp(folder / "talk.odp")
    markup.write_epub(folder / "poems.epub")
    markup.write_rtf(folder / "letter.rtf")
    markup.write_eml(folder / "mail.eml")
    markup.write_text_formats(folder)
    images.write_images(folder)
    return folder
