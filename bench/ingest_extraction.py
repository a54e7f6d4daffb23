"""Extraction throughput: pages/s for PDFs, MB/s for text, DOCX and HTML (medians of runs).

Run from the repository root: ``python bench/ingest_extraction.py`` (about a minute on 2 cores).
Inputs are generated in a temporary directory, plus the shared evaluation documents
(``../shared/eval/docs`` or ``$ETAGERE_EVAL_DIR/docs``) when present.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/...`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
from tests.extraction.extraction_fixtures import lined_pdf  # noqa: E402

from etagere.ingestion.extraction import (  # noqa: E402
    ExtractionLimits,
    extract,
    extract_isolated,
)

EVAL_DOCS = (
    Path(
        os.environ.get("ETAGERE_EVAL_DIR")
        or Path(__file__).resolve().parents[2] / "shared" / "eval"
    )
    / "docs"
)
TEXT_PDFS = (
    "docling_multi_page.pdf",
    "markitdown_test.pdf",
    "docling_2305.03393v1-pg9.pdf",
    "pypdf_Seige_of_Vicksburg_Sample_OCR.pdf",
    "markitdown_SPARSE-2024-INV-1234_borderless_table.pdf",
    "docling_right_to_left_01.pdf",
)
LIMITS = ExtractionLimits()
RUNS = 5


def write_docx(path: Path, paragraphs: int) -> Path:
    document = docx.Document()
    for index in range(paragraphs):
        if index % 50 == 0:
            document.add_heading(f"Section {index // 50}", level=1)
        document.add_paragraph(f"Paragraph {index}: " + "lorem ipsum dolor sit amet " * 12)
        if index % 200 == 0:
            grid = document.add_table(rows=5, cols=4)
            for row in grid.rows:
                for cell in row.cells:
                    cell.text = "cell"
    document.save(str(path))
    return path


def write_text(path: Path, megabytes: int) -> Path:
    line = "A plain text line with some words in it, used for throughput measurement.\n"
    path.write_text(line * (megabytes * 1024 * 1024 // len(line)))
    return path


def median_seconds(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm-up: imports, page cache
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def pages_of(paths: list[Path]) -> int:
    return sum(len(extract(p, filename=None, limits=LIMITS).pages) for p in paths)


def main() -> None:
    rows: list[tuple[str, str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        big_pdf = lined_pdf(work / "big.pdf", 1000)
        seconds = median_seconds(lambda: extract(big_pdf, filename=None, limits=LIMITS), 3)
        rows.append(
            ("generated PDF, 1,000 pages x 40 lines", "pages/s", 1000 / seconds, f"{seconds:.2f} s")
        )

        eval_pdfs = [EVAL_DOCS / name for name in TEXT_PDFS if (EVAL_DOCS / name).exists()]
        if eval_pdfs:
            count = pages_of(eval_pdfs)
            seconds = median_seconds(
                lambda: [extract(p, filename=None, limits=LIMITS) for p in eval_pdfs]
            )
            rows.append(
                (
                    f"eval text PDFs ({len(eval_pdfs)} files)",
                    "pages/s",
                    count / seconds,
                    f"{count} pages",
                )
            )

        for label, path in (
            ("plain text, 8 MB", write_text(work / "big.txt", 8)),
            ("generated DOCX, 4,000 paragraphs", write_docx(work / "big.docx", 4000)),
            ("eval DOCX markitdown_test.docx", EVAL_DOCS / "markitdown_test.docx"),
            ("eval HTML wikipedia (Microsoft)", EVAL_DOCS / "markitdown_test_wikipedia.html"),
        ):
            if not path.exists():
                continue
            megabytes = path.stat().st_size / 1e6
            seconds = median_seconds(partial(extract, path, filename=None, limits=LIMITS))
            rows.append(
                (label, "MB/s", megabytes / seconds, f"{megabytes:.2f} MB, {seconds * 1000:.0f} ms")
            )

        small = EVAL_DOCS / "pypdf_crazyones.pdf"
        if small.exists():
            in_process = median_seconds(lambda: extract(small, filename=None, limits=LIMITS))
            isolated = median_seconds(
                lambda: extract_isolated(small, filename=None, limits=LIMITS), 3
            )
            rows.append(
                (
                    "extract_isolated overhead, 1-page PDF",
                    "ms/doc",
                    isolated * 1000,
                    f"x{isolated / in_process:.0f} in-process",
                )
            )

        scan = EVAL_DOCS / "docling_ocr_test.pdf"
        if scan.exists():
            seconds = median_seconds(lambda: extract(scan, filename=None, limits=LIMITS), 1)
            rows.append(
                (
                    "OCR, scanned PDF page (tesseract, 250 dpi)",
                    "pages/s",
                    1 / seconds,
                    f"{seconds:.2f} s/page",
                )
            )
    print_table(rows)


def print_table(rows: list[tuple[str, str, float, str]]) -> None:
    width = max(len(row[0]) for row in rows)
    print(f"{'input':<{width}}  {'median':>10}  {'unit':<8}  note")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 8}  ----")
    for label, unit, value, note in rows:
        print(f"{label:<{width}}  {value:>10.1f}  {unit:<8}  {note}")


if __name__ == "__main__":
    main()
