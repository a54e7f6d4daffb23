"""Every evaluation document gives its known text, its page count, or its expected error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from etagere.ingestion.extraction import (
    EmptyDocument,
    EncryptedDocument,
    Extraction,
    ExtractionError,
    ExtractionLimits,
    UnsupportedType,
    extract,
)


@dataclass(frozen=True)
class Case:
    """What one evaluation file must produce."""

    name: str
    phrases: tuple[str, ...] = ()
    pages: int | None = None
    error: type[ExtractionError] | None = None
    absent: tuple[str, ...] = ()
    ocr: bool = False
    page_phrases: dict[int, str] = field(default_factory=dict)


AUTOGEN_DOCX = (
    "314b0a30-5b04-470b-b9f7-eed2c2bec74a",
    "49e168b7-d2ae-407f-a055-2167576f39a1",
    "# Abstract",
    "# Introduction",
    "d666f1f7-46cb-42bd-9a39-9a39cf2a509f",
    "AutoGen: Enabling Next-Gen LLM Applications via Multi-Agent Conversation",
)
DOCLING_OCR = (
    "Docling bundles PDF document conversion to JSON and Markdown in an easy self contained package"
)
CRAZY = "Heres to the crazy ones. The misfits. The rebels."

CASES = [
    Case(
        "markitdown_test.pdf",
        (
            "While there is contemporaneous exploration of multi-agent approaches",
            "Large language models (LLMs) are becoming a crucial building block",
        ),
        1,
    ),
    Case("markitdown_test.docx", AUTOGEN_DOCX, 1, absent=("base64", "data:image")),
    Case(
        "markitdown_test.pptx",
        (
            "2cdda5c8-e50e-4db4-b5f0-9722a649f455",
            "04191ea8-5c73-4215-a1d3-1cfb43aaaf12",
            "44bf7d06-5e7a-4a40-a2e1-a2e42ef28c8a",
            "1b92870d-e3b5-4e65-8153-919f4ff45592",
            "a3f6004b-6f4f-4ea8-bee3-3741f4dc385f",
            "This phrase of the caption is Human-written.",
        ),
        6,
    ),
    Case(
        "markitdown_test.xlsx",
        (
            "## 09060124-b5e7-4717-9d07-3c046eb",
            "6ff4173b-42a5-4784-9b19-f49caff4d93d",
            "affc7dad-52dc-4b98-9b5d-51e65d8a8ad0",
        ),
        2,
        page_phrases={2: "affc7dad-52dc-4b98-9b5d-51e65d8a8ad0"},
    ),
    Case(
        "markitdown_test.epub",
        (
            "Chapter 1: Test Content",
            "This is a test paragraph with some formatting",
            "Chapter 2: More Content",
            "This is a blockquote for testing",
            "Test Author",
        ),
        1,
    ),
    Case(
        "markitdown_test.json",
        ("5b64c88c-b3c3-4510-bcb8-da0b200602d8", "9700dc99-6685-40b4-9a3a-5e406dcb37f3"),
        1,
    ),
    Case(
        "markitdown_test_blog.html",
        (
            "Large language models (LLMs) are powerful tools that can generate natural language "
            "texts for various applications",
            "an example where high cost can easily prevent a generic complex",
        ),
        1,
    ),
    Case(
        "markitdown_test_wikipedia.html",
        ("Microsoft entered the operating system (OS) business in 1980",),
        1,
        absent=(
            "You are encouraged to create an account and log in",
            "move to sidebar",
            "154 languages",
        ),
    ),
    Case(
        "markitdown_test_mskanji.csv",
        (
            "| 名前 | 年齢 | 住所 |",
            "| 佐藤太郎 | 30 | 東京 |",
            "| 三木英子 | 25 | 大阪 |",
            "| 髙橋淳 | 35 | 名古屋 |",
        ),
        1,
    ),
    Case(
        "markitdown_test.rtf",
        (
            "This is a Sample RTF File",
            "It is included to test if the MarkItDown sample plugin can correctly convert "
            "RTF files.",
        ),
        1,
    ),
    Case(
        "markitdown_test_with_comment.docx",
        (
            *AUTOGEN_DOCX,
            "This is a test comment. 12df-321a",
            "Yet another comment in the doc. 55yiyi-asd09",
        ),
        1,
    ),
    Case(
        "markitdown_MEDRPT-2024-PAT-3847_medical_report_scan.pdf",
        ("SEATTLE GENERAL HOSPITAL", "MEDRPT-2024-PAT-3847"),
        3,
        ocr=True,
        page_phrases={1: "SEATTLE GENERAL HOSPITAL"},
    ),
    Case(
        "markitdown_SPARSE-2024-INV-1234_borderless_table.pdf",
        ("INVENTORY RECONCILIATION REPORT", "Report ID: SPARSE-2024-INV-1234"),
        2,
        page_phrases={1: "INVENTORY RECONCILIATION REPORT"},
    ),
    Case("markitdown_test.jpg", ("AutoGen: Enabling Next-Gen LLM", "Abstract"), 1, ocr=True),
    Case("markitdown_random.bin", error=UnsupportedType),
    Case("docling_2305.03393v1-pg9.pdf", ("5.1 Hyper Parameter Optimization", "PubTabNet"), 1),
    Case(
        "docling_multi_page.pdf",
        ("The Evolution of the Word Processor", "Patented in 1868 by Christopher L"),
        5,
        page_phrases={
            1: "The Evolution of the Word Processor",
            2: "WordPerfect",
            3: "Specialized Word Processing Tools",
            5: "The journey of the word processor",
        },
    ),
    Case(
        "docling_right_to_left_01.pdf",
        ("تحسين الإنتاجية وحل المشكلات من خلال البرمجة بلغة R", "الأدوات القوية"),
        1,
    ),
    Case("docling_ocr_test.pdf", (DOCLING_OCR,), 1, ocr=True),
    Case(
        "docling_word_sample.docx",
        (
            "Summer activities",
            "# Swimming in the lake",
            "Figure 1: This is a cute duckling",
            "- You can relax and look around",
            "| Leaves | Ash, Elm, Maple | 50 |",
        ),
        1,
    ),
    Case(
        "docling_word_tables.docx",
        ("# Test with tables", "| Cell 1.0 | Merged Cell 1.1 1.2 | Merged Cell 1.1 1.2 |"),
        1,
    ),
    Case(
        "docling_powerpoint_sample.pptx",
        ("# Test Table Slide", "A merged with B", "# Second slide title"),
        3,
        page_phrases={1: "Test Table Slide", 2: "Second slide title"},
    ),
    Case(
        "docling_xlsx_01.xlsx",
        (
            "## Sheet1",
            "| first | second | third |",
            "## Sheet2",
            "| col-1 | col-2 | col-3 | col-4 |",
        ),
        4,
        page_phrases={1: "## Sheet1", 2: "## Sheet2"},
    ),
    Case(
        "docling_wiki_duck.html",
        ("## Etymology", "## Taxonomy", "## Morphology", "## Distribution and habitat"),
        1,
        absent=("move to sidebar", "Jump to content"),
    ),
    Case(
        "docling_wiki.md",
        (
            "International Business Machines Corporation (using the trademark IBM), "
            "nicknamed Big Blue",
        ),
        1,
    ),
    Case(
        "docling_csv-comma.csv",
        (
            "| Index | Customer Id | First Name |",
            "DD37Cf93aecA6Dc | Sheryl | Baxter | Rasmussen Group",
        ),
        1,
    ),
    Case(
        "docling_text_document_01.odt",
        (
            "# Title",
            "Subtitle",
            "## heading level 1.0",
            "Lorem Ipsum is simply dummy text of the printing and typesetting industry",
        ),
        1,
    ),
    Case(
        "docling_epub_purvis_poetry.epub",
        ("# Poetry", "By Sarah Louisa Forten Purvis", "Standard Ebooks"),
        1,
    ),
    Case("docling_webp-test.webp", (DOCLING_OCR,), 1, ocr=True),
    Case(
        "docling_legacy_sample.doc",
        (
            "Summer activities",
            "Swimming in the lake",
            "Figure 1: This is a cute duckling",
            "Don\u2019t forget to drink water",
        ),
        1,
    ),
    Case("docling_pdf_password_2206.01062_pg3.pdf", error=EncryptedDocument),
    Case(
        "docling_invisible_text_layer.pdf", ("Visible heading line", "Invisible OCR text layer"), 1
    ),
    Case("pypdf_crazyones.pdf", ("The Crazy Ones", "October 14, 1998", CRAZY), 1),
    Case("pypdf_crazyones-encrypted-256.pdf", error=EncryptedDocument),
    Case("pypdf_issue-297.pdf", ("test example",), 1),
    Case(
        "pypdf_Seige_of_Vicksburg_Sample_OCR.pdf",
        ("THE SIEGE OF VICKSBURG. 49",),
        6,
        page_phrases={1: "THE SIEGE OF VICKSBURG. 49", 6: "VICKSBURG. 55"},
    ),
    Case("edge_zero_bytes.pdf", error=EmptyDocument),
    Case("edge_docx_renamed_to.pdf", AUTOGEN_DOCX, 1),
]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _params() -> list[object]:
    return [
        pytest.param(case, id=case.name, marks=[pytest.mark.ocr] if case.ocr else [])
        for case in CASES
    ]


def test_the_table_covers_every_evaluation_document(docs: Path) -> None:
    assert sorted(case.name for case in CASES) == sorted(p.name for p in docs.iterdir())


@pytest.mark.parametrize("case", _params())
def test_evaluation_document(case: Case, docs: Path, limits: ExtractionLimits) -> None:
    check_case(docs / case.name, case, limits)


def check_case(path: Path, case: Case, limits: ExtractionLimits) -> None:
    """Extract ``path`` and hold it to ``case``: its phrases, pages, OCR use, or its error."""
    if case.error is not None:
        with pytest.raises(case.error) as raised:
            extract(path, filename=case.name, limits=limits)
        assert raised.value.message and raised.value.code
        return
    result = extract(path, filename=case.name, limits=limits)
    flat = _flat(result.markdown)
    for phrase in case.phrases:
        assert _flat(phrase) in flat, f"{phrase!r} missing from {case.name}: {flat[:300]!r}"
    for phrase in case.absent:
        assert phrase not in result.markdown, f"{phrase!r} should not be indexed"
    if case.pages is not None:
        assert len(result.pages) == case.pages
    for number, phrase in case.page_phrases.items():
        assert phrase in _flat(result.page_text(number))
    assert result.ocr_used == case.ocr
    assert_valid(result)


def assert_valid(result: Extraction) -> None:
    """Invariants of every extraction: spans tile the text, no binary junk, no base64."""
    assert result.pages, "at least one page"
    assert [span.number for span in result.pages] == list(range(1, len(result.pages) + 1))
    assert result.pages[0].start == 0
    assert result.pages[-1].end == len(result.markdown)
    for before, after in zip(result.pages, result.pages[1:], strict=False):
        assert before.end == after.start
    assert all(span.start <= span.end for span in result.pages)
    assert "\x00" not in result.markdown
    assert not re.search(r"[A-Za-z0-9+/]{200,}", result.markdown), "base64-like run"
