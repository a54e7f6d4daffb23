"""Every evaluation document, uploaded through the official SDK to a real server, on both stores.

One server (two processing workers) and one library per backend take all 38 files at once
(the ``ingested`` fixture uploads everything, then waits until every document has settled);
the tests then check each file against the table below, one test per file and backend, so a
run shows the full state of ingestion rather than the first failure.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mistralai.client import Mistral, errors, models

from etagere.ingestion.extraction import ExtractionLimits, extract
from tests.conftest import client_for
from tests.documents.conftest import flat, new_library, wait_all_settled
from tests.support.documents import upload
from tests.support.servers import EtagereServer

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
EPUB = "application/epub+zip"

# The first test of each backend waits for the whole ingestion (OCR included).
pytestmark = pytest.mark.timeout(900)

HAS_TESSERACT = shutil.which("tesseract") is not None or bool(os.environ.get("CI"))


@dataclass(frozen=True)
class Expect:
    """What one evaluation file must become once uploaded and processed."""

    status: str  # a process_status, or "rejected" (refused at upload, nothing stored)
    mime: str | None = None
    phrases: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    pages: int | None = None
    reason: tuple[str, ...] = ()  # words the error reason must contain (case-insensitive)
    upload_status: int | None = None
    ocr: bool = False  # phrases come from OCR (checked only where Tesseract is installed)


AUTOGEN_TITLE = "AutoGen: Enabling Next-Gen LLM Applications via Multi-Agent Conversation"
AUTOGEN_DOCX = (
    "314b0a30-5b04-470b-b9f7-eed2c2bec74a",
    "49e168b7-d2ae-407f-a055-2167576f39a1",
    "d666f1f7-46cb-42bd-9a39-9a39cf2a509f",
    "Abstract",
    "Introduction",
    AUTOGEN_TITLE,
)
NO_INLINE_IMAGES = ("data:image", "base64,")
DOCLING_OCR = (
    "Docling bundles PDF document conversion to JSON and Markdown in an easy self contained package"
)
WIKIPEDIA_CHROME = (
    "You are encouraged to create an account and log in",
    "move to sidebar",
    "154 languages",
    "Jump to content",
)
CRAZY = "Heres to the crazy ones. The misfits. The rebels."
PASSWORD_REASON = ("encrypted", "password")

EXPECTED: dict[str, Expect] = {
    "markitdown_test.pdf": Expect(
        "done",
        PDF,
        (
            "While there is contemporaneous exploration of multi-agent approaches",
            "Large language models (LLMs) are becoming a crucial building block",
        ),
        pages=1,
    ),
    "markitdown_test.docx": Expect("done", DOCX, AUTOGEN_DOCX, NO_INLINE_IMAGES, pages=1),
    "markitdown_test.pptx": Expect(
        "done",
        PPTX,
        (
            "2cdda5c8-e50e-4db4-b5f0-9722a649f455",
            "04191ea8-5c73-4215-a1d3-1cfb43aaaf12",
            "44bf7d06-5e7a-4a40-a2e1-a2e42ef28c8a",
            "1b92870d-e3b5-4e65-8153-919f4ff45592",
            "a3f6004b-6f4f-4ea8-bee3-3741f4dc385f",
            "This phrase of the caption is Human-written.",
        ),
        NO_INLINE_IMAGES,
        pages=6,
    ),
    "markitdown_test.xlsx": Expect(
        "done",
        XLSX,
        (
            "09060124-b5e7-4717-9d07-3c046eb",
            "6ff4173b-42a5-4784-9b19-f49caff4d93d",
            "affc7dad-52dc-4b98-9b5d-51e65d8a8ad0",
        ),
        pages=2,
    ),
    "markitdown_test.epub": Expect(
        "done",
        EPUB,
        (
            "Chapter 1: Test Content",
            "This is a test paragraph with some formatting",
            "Chapter 2: More Content",
            "This is a blockquote for testing",
            "Test Author",
        ),
    ),
    "markitdown_test.json": Expect(
        "done",
        "application/json",
        ("5b64c88c-b3c3-4510-bcb8-da0b200602d8", "9700dc99-6685-40b4-9a3a-5e406dcb37f3"),
        pages=1,
    ),
    "markitdown_test_blog.html": Expect(
        "done",
        "text/html",
        (
            "Large language models (LLMs) are powerful tools that can generate natural language "
            "texts for various applications",
            "an example where high cost can easily prevent a generic complex",
        ),
        pages=1,
    ),
    "markitdown_test_wikipedia.html": Expect(
        "done",
        "text/html",
        ("Microsoft entered the operating system (OS) business in 1980",),
        WIKIPEDIA_CHROME,
        pages=1,
    ),
    "markitdown_test_mskanji.csv": Expect(
        "done",
        "text/csv",
        ("名前", "年齢", "住所", "佐藤太郎", "三木英子", "髙橋淳", "名古屋"),
        pages=1,
    ),
    "markitdown_test.rtf": Expect(
        "done",
        "application/rtf",
        (
            "This is a Sample RTF File",
            "It is included to test if the MarkItDown sample plugin can correctly convert RTF "
            "files.",
        ),
        pages=1,
    ),
    "markitdown_test_with_comment.docx": Expect(
        "done",
        DOCX,
        (
            *AUTOGEN_DOCX,
            "This is a test comment. 12df-321a",
            "Yet another comment in the doc. 55yiyi-asd09",
        ),
        NO_INLINE_IMAGES,
        pages=1,
    ),
    "markitdown_MEDRPT-2024-PAT-3847_medical_report_scan.pdf": Expect(
        "done", PDF, ("SEATTLE GENERAL HOSPITAL", "MEDRPT-2024-PAT-3847"), pages=3, ocr=True
    ),
    "markitdown_SPARSE-2024-INV-1234_borderless_table.pdf": Expect(
        "done",
        PDF,
        ("INVENTORY RECONCILIATION REPORT", "Report ID: SPARSE-2024-INV-1234"),
        pages=2,
    ),
    "markitdown_test.jpg": Expect(
        "done", "image/jpeg", ("AutoGen: Enabling Next-Gen LLM", "Abstract"), pages=1, ocr=True
    ),
    "markitdown_random.bin": Expect("rejected", upload_status=415),
    "docling_2305.03393v1-pg9.pdf": Expect(
        "done", PDF, ("5.1 Hyper Parameter Optimization", "PubTabNet"), pages=1
    ),
    "docling_multi_page.pdf": Expect(
        "done",
        PDF,
        ("The Evolution of the Word Processor", "Patented in 1868 by Christopher L"),
        pages=5,
    ),
    "docling_right_to_left_01.pdf": Expect(
        "done", PDF, ("تحسين الإنتاجية وحل المشكلات من خلال البرمجة بلغة R",), pages=1
    ),
    "docling_ocr_test.pdf": Expect("done", PDF, (DOCLING_OCR,), pages=1, ocr=True),
    "docling_word_sample.docx": Expect(
        "done",
        DOCX,
        ("Summer activities", "Swimming in the lake", "Figure 1: This is a cute duckling"),
        NO_INLINE_IMAGES,
        pages=1,
    ),
    "docling_word_tables.docx": Expect(
        "done", DOCX, ("Test with tables", "Merged Cell 1.1 1.2"), pages=1
    ),
    "docling_powerpoint_sample.pptx": Expect(
        "done", PPTX, ("Test Table Slide", "A merged with B"), pages=3
    ),
    "docling_xlsx_01.xlsx": Expect(
        "done",
        XLSX,
        ("Sheet1", "first", "second", "third", "Sheet2", "col-1", "col-4"),
        pages=4,
    ),
    "docling_wiki_duck.html": Expect(
        "done",
        "text/html",
        ("Etymology", "Taxonomy", "Morphology", "Distribution and habitat"),
        WIKIPEDIA_CHROME,
        pages=1,
    ),
    "docling_wiki.md": Expect(
        "done",
        "text/markdown",
        (
            "International Business Machines Corporation (using the trademark IBM), "
            "nicknamed Big Blue",
        ),
        pages=1,
    ),
    "docling_csv-comma.csv": Expect(
        "done",
        "text/csv",
        ("Index", "Customer Id", "First Name", "DD37Cf93aecA6Dc", "Sheryl", "Rasmussen Group"),
        pages=1,
    ),
    "docling_text_document_01.odt": Expect(
        "done",
        ODT,
        (
            "Title",
            "Subtitle",
            "heading level 1.0",
            "Lorem Ipsum is simply dummy text of the printing and typesetting industry",
        ),
        pages=1,
    ),
    "docling_epub_purvis_poetry.epub": Expect(
        "done", EPUB, ("Poetry", "By Sarah Louisa Forten Purvis", "Standard Ebooks")
    ),
    "docling_webp-test.webp": Expect("done", "image/webp", (DOCLING_OCR,), pages=1, ocr=True),
    "docling_legacy_sample.doc": Expect(
        "done",
        "application/msword",
        ("Summer activities", "Swimming in the lake", "Figure 1: This is a cute duckling"),
        pages=1,
    ),
    "docling_pdf_password_2206.01062_pg3.pdf": Expect("error", PDF, reason=PASSWORD_REASON),
    "docling_invisible_text_layer.pdf": Expect(
        "done", PDF, ("Visible heading line", "Invisible OCR text layer"), pages=1
    ),
    "pypdf_crazyones.pdf": Expect(
        "done", PDF, ("The Crazy Ones", "October 14, 1998", CRAZY), pages=1
    ),
    "pypdf_crazyones-encrypted-256.pdf": Expect("error", PDF, reason=PASSWORD_REASON),
    "pypdf_issue-297.pdf": Expect("done", PDF, ("test example",), pages=1),
    "pypdf_Seige_of_Vicksburg_Sample_OCR.pdf": Expect(
        "done", PDF, ("THE SIEGE OF VICKSBURG. 49",), pages=6
    ),
    "edge_zero_bytes.pdf": Expect("error", reason=("empty",)),
    "edge_docx_renamed_to.pdf": Expect("done", DOCX, AUTOGEN_DOCX, NO_INLINE_IMAGES, pages=1),
}


@dataclass
class Ingested:
    """One backend's server after every evaluation file was uploaded and has settled."""

    server: EtagereServer
    client: Mistral
    library_id: str
    # A file with the same bytes as an earlier one goes to this second library: in the main
    # library it would (rightly) come back as the earlier document.
    duplicates_library_id: str
    documents: dict[str, models.Document] = field(default_factory=dict)
    refusals: dict[str, errors.SDKError] = field(default_factory=dict)


@pytest.fixture(scope="module")
def ingested(module_server: EtagereServer, eval_dir: Path) -> Ingested:
    client = client_for(module_server, module_server.api_key)
    state = Ingested(
        server=module_server,
        client=client,
        library_id=new_library(client, "evaluation documents"),
        duplicates_library_id=new_library(client, "evaluation duplicates"),
    )
    seen: set[str] = set()
    uploaded: dict[str, models.Document] = {}
    for name in sorted(EXPECTED):
        path = eval_dir / "docs" / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        library_id = state.duplicates_library_id if digest in seen else state.library_id
        seen.add(digest)
        try:
            uploaded[name] = upload(client, library_id, path)
        except errors.SDKError as exc:
            state.refusals[name] = exc
    for library_id in (state.library_id, state.duplicates_library_id):
        ids = [d.id for d in uploaded.values() if d.library_id == library_id]
        settled = wait_all_settled(client, library_id, ids, timeout=600)
        state.documents.update((n, settled[d.id]) for n, d in uploaded.items() if d.id in settled)
    return state


def _cases() -> Iterator[object]:
    for name in sorted(EXPECTED):
        yield pytest.param(name, id=name)


def _summary_cases() -> Iterator[object]:
    for name, expect in sorted(EXPECTED.items()):
        if expect.status != "done":
            continue
        yield pytest.param(name, id=name)


def test_the_table_covers_every_evaluation_document(eval_dir: Path) -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in (eval_dir / "docs").iterdir())


@pytest.mark.parametrize("name", _cases())
def test_evaluation_document(ingested: Ingested, eval_dir: Path, name: str) -> None:
    expect = EXPECTED[name]
    path = eval_dir / "docs" / name
    if expect.status == "rejected":
        assert name not in ingested.documents, "an unsupported file must be refused at upload"
        refusal = ingested.refusals[name]
        assert refusal.status_code == expect.upload_status, refusal.body
        return
    assert name not in ingested.refusals, f"upload refused: {ingested.refusals.get(name)}"
    document = ingested.documents[name]
    assert document.name == name
    assert document.size == path.stat().st_size
    problems = _check(ingested.client, document, expect)
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", _summary_cases())
def test_processed_document_has_a_summary(ingested: Ingested, name: str) -> None:
    document = ingested.documents[name]
    assert document.process_status == "done"
    assert (document.summary or "").strip(), f"{name} has an empty summary"


def test_library_counts_every_stored_document_once(ingested: Ingested, eval_dir: Path) -> None:
    """Refused files are not stored; counters match what the main library holds."""
    main = [n for n, d in ingested.documents.items() if d.library_id == ingested.library_id]
    library = ingested.client.beta.libraries.get(library_id=ingested.library_id)
    assert library.nb_documents == len(main)
    assert library.total_size == sum((eval_dir / "docs" / n).stat().st_size for n in main)
    refused = {n for n, e in EXPECTED.items() if e.status == "rejected"}
    assert len(ingested.documents) == len(EXPECTED) - len(refused)


def test_same_bytes_in_one_library_are_one_document(ingested: Ingested, eval_dir: Path) -> None:
    """The DOCX renamed .pdf and the original DOCX are the same bytes: one document."""
    renamed = ingested.documents["edge_docx_renamed_to.pdf"]
    original = ingested.documents["markitdown_test.docx"]
    assert renamed.library_id == ingested.library_id
    assert original.library_id == ingested.duplicates_library_id
    again = upload(ingested.client, ingested.library_id, eval_dir / "docs" / "markitdown_test.docx")
    assert again.id == renamed.id
    assert again.name == "edge_docx_renamed_to.pdf", "the existing document is returned as is"
    library = ingested.client.beta.libraries.get(library_id=ingested.library_id)
    main = [d for d in ingested.documents.values() if d.library_id == ingested.library_id]
    assert library.nb_documents == len(main)


def test_text_content_of_one_page(ingested: Ingested, eval_dir: Path) -> None:
    """``text_content(page_start=2, page_end=2)`` is page 2 exactly, as the engine cut it."""
    path = eval_dir / "docs" / "docling_multi_page.pdf"
    document = ingested.documents[path.name]
    docs = ingested.client.beta.libraries.documents
    page_two = docs.text_content(
        library_id=document.library_id, document_id=document.id, page_start=2, page_end=2
    ).text
    engine = extract(path, filename=path.name, limits=ExtractionLimits(ocr=False))
    assert page_two == engine.page_text(2)
    assert "WordPerfect" in page_two
    assert "The Evolution of the Word Processor" not in page_two  # page 1's title
    assert "Specialized Word Processing Tools" not in page_two  # page 3's heading
    whole = docs.text_content(library_id=document.library_id, document_id=document.id).text
    assert whole == engine.markdown
    assert whole.count(page_two) == 1


def _check(client: Mistral, document: models.Document, expect: Expect) -> list[str]:
    """Every way the settled document differs from its expectation."""
    state = f"{document.process_status} ({document.processing_status!r})"
    if document.process_status != expect.status:
        return [f"status {state}, expected {expect.status}"]
    problems: list[str] = []
    if document.mime_type != expect.mime:
        problems.append(f"mime_type {document.mime_type!r}, expected {expect.mime!r}")
    if document.last_processed_at is None:
        problems.append("last_processed_at not set")
    if expect.status == "error":
        reason = (document.processing_status or "").lower()
        missing = [word for word in expect.reason if word not in reason]
        if missing or len(reason) < 10:
            problems.append(f"reason {document.processing_status!r} lacks {missing}")
        return problems
    return problems + _check_done(client, document, expect)


def _check_done(client: Mistral, document: models.Document, expect: Expect) -> list[str]:
    problems: list[str] = []
    if document.processing_status != "Completed":
        problems.append(f"processing_status {document.processing_status!r}")
    pages = document.number_of_pages
    if not isinstance(pages, int) or pages < 1 or (expect.pages and pages != expect.pages):
        problems.append(f"number_of_pages {pages}, expected {expect.pages or '>= 1'}")
    if not document.tokens_processing_total or document.tokens_processing_total <= 0:
        problems.append(f"tokens_processing_total {document.tokens_processing_total}")
    text = client.beta.libraries.documents.text_content(
        library_id=document.library_id, document_id=document.id
    ).text
    if expect.ocr and not HAS_TESSERACT:
        return problems
    flattened = flat(text)
    problems += [f"missing {p!r}" for p in expect.phrases if flat(p) not in flattened]
    problems += [f"should not contain {p!r}" for p in expect.absent if p in text]
    return problems
