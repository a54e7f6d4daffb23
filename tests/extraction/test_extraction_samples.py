"""Every format etagere reads, built by the test suite, gives its known text and page count.

This is the default suite's counterpart of ``test_extraction_eval_docs.py`` (which needs the
shared evaluation corpus): the documents come from ``tests/support/samples``, so a fresh
clone checks every format, scans, encrypted and damaged files on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from etagere.ingestion.extraction import EncryptedDocument, ExtractionLimits, extract, mime
from etagere.ingestion.extraction.formats import FORMATS
from tests.extraction.test_extraction_eval_docs import Case, check_case
from tests.support.samples.office import DOCX_MARKER, HEADER_TITLE
from tests.support.samples.prose import CRAZY_PHRASE

CASES = [
    Case(
        "word_processors.pdf",
        ("The Evolution of the Word Processor", "patented in 1868"),
        5,
        page_phrases={2: "WordPerfect", 3: "Specialized Word Processing Tools"},
    ),
    Case("crazy_ones.pdf", (CRAZY_PHRASE,), 1),
    Case(
        "scanned_report.pdf",
        ("SEASIDE GENERAL HOSPITAL", "RPT-2026-0042"),
        3,
        ocr=True,
        page_phrases={1: "SEASIDE GENERAL HOSPITAL", 2: "LABORATORY RESULTS"},
    ),
    Case("encrypted.pdf", error=EncryptedDocument),
    Case(
        "garbled_layer.pdf",
        ("MINUTES OF THE HARBOUR BOARD", "The pier lights were repaired"),
        2,
        ocr=True,
        absent=("«", "¬"),
        page_phrases={2: "Tide tables for the winter season layeronly"},
    ),
    Case("broken_xref.pdf", ("test example of a broken xref",), 1),
    Case("ducks.html", ("# Duck", "## Morphology", "Duck plumage"), 1, absent=("Log in",)),
    Case(
        "report.docx",
        (
            "# Annual report",
            DOCX_MARKER,
            "- First point",
            "| Cell 1.0 | Merged Cell 1.1 1.2 | Merged Cell 1.1 1.2 |",
            "## Comments",
            "Check the figures. 12df-321a",
        ),
        1,
    ),
    Case(
        "layout.docx",
        (
            f"Page header: {HEADER_TITLE}",
            "Page footer: Revision 7, printed copies are uncontrolled",
            "| Piers | R1C1 | R1C2 Bolt, Torque; M24, 640 Nm |",
            "| Piers | R2C1 | R2C2 |",
            "Second part: the cable saddles.",
        ),
        1,
    ),
    Case(
        "slides.pptx",
        ("# Opening slide", "Talking point number 2", "| Ada | 42 |"),
        3,
        page_phrases={2: "Second slide title"},
    ),
    Case("figures.xlsx", ("## Sheet1", "| first | second | third |"), 2, page_phrases={2: "beta"}),
    Case("figures.xls", ("## Prices", "| tea | 3 |"), 2, page_phrases={2: "| tea | 40 |"}),
    Case("legacy.doc", ("Summer activities", "Don\u2019t forget to drink water"), 1),
    Case("locked.doc", error=EncryptedDocument),
    Case("notes.odt", ("Field notes", "The heron waited in the reeds."), 1),
    Case("sheet.ods", ("## Cities", "| Lyon | 522000 |"), 1),
    Case("talk.odp", ("Welcome to the talk",), 2, page_phrases={2: "Thank you for listening"}),
    Case("poems.epub", ("# Small Poems", "Author: Test Author", "The lamps glow."), 1),
    Case("letter.rtf", ("This is a sample RTF letter.", "café opens at nine"), 1),
    Case("mail.eml", ("# Quarterly figures", "Revenue grew by 12 percent.", "- q3.csv"), 1),
    Case("readme.md", ("# Shelf guide", "lowest shelf"), 1),
    Case("people.csv", ("| name | city |", "| Grace | Arlington |"), 1),
    Case("people.tsv", ("| Alan | Manchester |",), 1),
    Case("config.json", ('"service": "shelf-indexer"',), 1),
    Case("events.jsonl", ('{"event": "closed"}',), 1),
    Case("catalog.xml", ("<book>Moby Dick</book>",), 1),
    Case("deploy.yaml", ("service: shelf-api",), 1),
    Case("tool.py", ("```python", "def shelve(book: str)"), 1),
    Case("notes.txt", ("shelving of atlases",), 1),
    *[
        Case(f"inventory.{suffix}", ("QUARTERLY INVENTORY", "Forty boxes of paper"), 1, ocr=True)
        for suffix in ("png", "jpg", "webp", "gif", "bmp")
    ],
    Case(
        "pages.tiff",
        ("QUARTERLY REPORT",),
        2,
        ocr=True,
        page_phrases={2: "SECOND PAGE HERE"},
    ),
]


def test_a_page_header_is_kept_once_per_document(samples: Path, limits: ExtractionLimits) -> None:
    markdown = extract(samples / "layout.docx", filename=None, limits=limits).markdown
    assert markdown.startswith(f"Page header: {HEADER_TITLE}\n")
    assert markdown.count(HEADER_TITLE) == 1, "two sections, one header: kept once"


def _params() -> list[object]:
    return [
        pytest.param(case, id=case.name, marks=[pytest.mark.ocr] if case.ocr else [])
        for case in CASES
    ]


def test_the_table_covers_every_sample(samples: Path) -> None:
    assert sorted(case.name for case in CASES) == sorted(p.name for p in samples.iterdir())


def test_the_samples_cover_every_format_the_engine_reads(samples: Path) -> None:
    """Each extractor the engine dispatches to is exercised by at least one sample."""
    from etagere.ingestion.extraction import detect_type

    seen = {detect_type(path, path.name) for path in samples.iterdir() if "lock" not in path.name}
    dispatched = {t for f in FORMATS for t in f.mime_types}  # .ppt is refused by design
    assert dispatched - seen == set(), "formats without a sample"
    assert {mime.MARKDOWN, mime.CSV, mime.TSV, mime.JSON, mime.JSONL, mime.XML, mime.YAML} <= seen


@pytest.mark.parametrize("case", _params())
def test_sample_document(case: Case, samples: Path, limits: ExtractionLimits) -> None:
    assert case.error is not None or case.pages is not None, "a sample states its page count"
    check_case(samples / case.name, case, limits)
