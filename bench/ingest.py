"""Whole-pipeline ingestion throughput through the HTTP API, driven by the official SDK.

Run from the repository root: ``python bench/ingest.py`` (a few minutes on 2 cores), then the
cold run of ``bench/ingest_cold.py`` (many small text files against a plain encode of the model;
``--cold-docs`` sets how many, 0 skips it).

A real ``etagere serve`` (SQLite in a temporary data directory, two processing workers) is
started exactly as the tests start it. For each format, one run uploads every input into a
fresh library and waits until all documents are ``done``; the clock runs from the first upload
to the last ``done``, so it covers upload, queueing, sandboxed extraction, summary, token
counting, chunking and embedding. Each format is run three times and the median is reported.
Inputs are generated in a temporary directory, plus the shared evaluation text PDFs
(``../shared/eval/docs``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/ingest.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
from mistralai.client import Mistral  # noqa: E402
from mistralai.client.models import Document  # noqa: E402
from mistralai.client.utils import BackoffStrategy, RetryConfig  # noqa: E402
from tests.extraction.extraction_fixtures import lined_pdf  # noqa: E402
from tests.support.servers import EtagereServer, StoreLocation  # noqa: E402

EVAL_DOCS = Path(os.environ.get("ETAGERE_EVAL_DIR") or ROOT.parent / "shared" / "eval") / "docs"
# Evaluation PDFs with a text layer (no OCR needed), so the figure is about text PDFs.
EVAL_TEXT_PDFS = (
    "markitdown_test.pdf",
    "markitdown_SPARSE-2024-INV-1234_borderless_table.pdf",
    "docling_2305.03393v1-pg9.pdf",
    "docling_multi_page.pdf",
    "docling_right_to_left_01.pdf",
    "docling_invisible_text_layer.pdf",
    "pypdf_crazyones.pdf",
    "pypdf_issue-297.pdf",
    "pypdf_Seige_of_Vicksburg_Sample_OCR.pdf",
)
RUNS = 3
WORKERS = 2
TIMEOUT_S = 240
MB = 1_000_000
# Polling is idempotent, so a dropped connection is retried (see the note printed with the
# table: while workers count tokens the API can stall for seconds and reset connections).
POLL_RETRIES = RetryConfig("backoff", BackoffStrategy(100, 2_000, 1.5, 60_000), True)


@dataclass(frozen=True)
class Workload:
    """One format's inputs and the unit its throughput is given in."""

    label: str
    files: list[Path]
    unit: str  # "pages" or "MB"


@dataclass(frozen=True)
class Result:
    workload: Workload
    amount: float  # pages or MB
    cold: float  # seconds of the first run: every chunk embedded
    warm: float  # median seconds of the other runs: embeddings come from the cache
    worst_poll: float  # slowest status poll seen while this format was ingested, seconds

    def rate(self, seconds: float) -> str:
        if self.workload.unit == "pages":
            return f"{self.amount / seconds:.2f} pages/s"
        return f"{self.amount * 1000 / seconds:.1f} kB/s"


# --- inputs ----------------------------------------------------------------------------------


def words(seed: int) -> list[str]:
    """A vocabulary of pseudo-words: text that compresses like prose, not like repeats."""
    rng = random.Random(seed)
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [26 - i for i in range(26)]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 10))) for _ in range(3000)]


def paragraphs(seed: int) -> Iterator[str]:
    """An endless stream of paragraphs of 3-6 sentences."""
    rng = random.Random(seed)
    vocabulary = words(seed)
    while True:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            sentence = " ".join(rng.choices(vocabulary, k=rng.randint(8, 20)))
            sentences.append(sentence.capitalize() + ".")
        yield " ".join(sentences)


def write_text(path: Path, size: int, seed: int) -> Path:
    parts: list[str] = []
    total = 0
    stream = paragraphs(seed)
    while total < size:
        paragraph = next(stream) + "\n\n"
        parts.append(paragraph)
        total += len(paragraph)
    path.write_text("".join(parts))
    return path


def write_docx(path: Path, size: int, seed: int) -> Path:
    """A DOCX of headings and paragraphs whose file is about ``size`` bytes."""
    document = docx.Document()
    stream = paragraphs(seed)
    # Deflate shrinks this text about 2.2x: aim the raw text at the wanted file size.
    target, written, index = int(size * 2.2), 0, 0
    while written < target:
        if index % 40 == 0:
            document.add_heading(f"Section {index // 40 + 1}", level=1)
        # Long paragraphs: python-docx costs about a millisecond per paragraph added.
        text = " ".join(next(stream) for _ in range(5))
        document.add_paragraph(text)
        written += len(text)
        index += 1
    document.save(str(path))
    return path


def workloads(work: Path) -> list[Workload]:
    # Sizes are small because the pipeline now embeds every chunk on the CPU (the slowest step).
    pdfs = [lined_pdf(work / "generated-20-pages.pdf", 20)]
    pdfs += [EVAL_DOCS / name for name in EVAL_TEXT_PDFS if (EVAL_DOCS / name).exists()]
    texts = [write_text(work / f"notes-{i}.txt", MB // 25, seed=i) for i in range(5)]
    docxs = [write_docx(work / f"report-{i}.docx", MB // 10, seed=100 + i) for i in range(3)]
    return [
        Workload("text PDF (20-page generated + eval)", pdfs, "pages"),
        Workload("plain text (5 x 40 kB)", texts, "MB"),
        Workload("DOCX (3 generated)", docxs, "MB"),
    ]


# --- measurement ---------------------------------------------------------------------------


def ingest_once(client: Mistral, workload: Workload) -> tuple[float, int, float]:
    """Upload every file into a fresh library: seconds until all are done, total pages, and
    the slowest status poll (how responsive the API stayed meanwhile)."""
    library = client.beta.libraries.create(name=f"bench {workload.label}")
    started = time.perf_counter()
    ids = []
    for path in workload.files:
        with path.open("rb") as handle:
            document = client.beta.libraries.documents.upload(
                library_id=library.id, file={"file_name": path.name, "content": handle}
            )
        ids.append(document.id)
    pages, worst_poll = wait_done(client, library.id, set(ids))
    seconds = time.perf_counter() - started
    client.beta.libraries.delete(library_id=library.id)
    return seconds, pages, worst_poll


def wait_done(
    client: Mistral, library_id: str, ids: set[str], timeout: float = TIMEOUT_S
) -> tuple[int, float]:
    deadline = time.monotonic() + timeout
    worst = 0.0
    while time.monotonic() < deadline:
        asked = time.perf_counter()
        documents = list_documents(client, library_id)
        worst = max(worst, time.perf_counter() - asked)
        documents = {i: d for i, d in documents.items() if i in ids}
        failed = [d for d in documents.values() if d.process_status in ("error", "missing_content")]
        if failed:
            raise RuntimeError(f"{failed[0].name}: {failed[0].processing_status}")
        if len(documents) == len(ids) and all(
            d.process_status == "done" for d in documents.values()
        ):
            return sum(d.number_of_pages or 0 for d in documents.values()), worst
        time.sleep(0.1 if len(ids) <= 100 else 1.0)
    raise RuntimeError(f"documents not done after {timeout} s")


def list_documents(client: Mistral, library_id: str) -> dict[str, Document]:
    """Every document of the library, page after page."""
    found: dict[str, Document] = {}
    page = 0
    while True:
        listing = client.beta.libraries.documents.list(
            library_id=library_id, page=page, page_size=100, retries=POLL_RETRIES
        )
        found.update((d.id, d) for d in listing.data)
        if not listing.pagination.has_more:
            return found
        page += 1


def measure(client: Mistral, workload: Workload) -> Result:
    """The first run embeds every chunk (cold); later runs hit the embedding cache (warm)."""
    timings = []
    pages = 0
    worst_poll = 0.0
    for _ in range(RUNS):
        seconds, pages, worst = ingest_once(client, workload)
        timings.append(seconds)
        worst_poll = max(worst_poll, worst)
    size = sum(path.stat().st_size for path in workload.files) / MB
    amount = pages if workload.unit == "pages" else size
    return Result(workload, amount, timings[0], statistics.median(timings[1:]), worst_poll)


def print_table(results: list[Result]) -> None:
    header = (
        "format",
        "docs",
        "pages/MB",
        "cold s",
        "cold rate",
        "warm s",
        "warm rate",
        "worst poll",
    )
    rows = [
        (
            r.workload.label,
            str(len(r.workload.files)),
            f"{r.amount:.0f} pages" if r.workload.unit == "pages" else f"{r.amount:.2f} MB",
            f"{r.cold:.2f}",
            r.rate(r.cold),
            f"{r.warm:.2f}",
            r.rate(r.warm),
            f"{r.worst_poll:.2f} s",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print("cold: first run, every chunk embedded; warm: median of the next runs (cached)")
    print("worst poll: the slowest documents.list call while the format was ingested")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-docs", type=int, default=500, help="~5 kB files of the cold run")
    args = parser.parse_args()
    print(f"load average at start {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="etagere-bench-") as tmp:
        work = Path(tmp)
        loads = workloads(work)
        server = EtagereServer(store=StoreLocation(data_dir=work / "data"))
        server.start(extra_env={"ETAGERE_WORKERS": str(WORKERS), "ETAGERE_LOG_LEVEL": "warning"})
        try:
            client = Mistral(api_key=server.api_key, server_url=server.url, timeout_ms=120_000)
            results = [measure(client, workload) for workload in loads]
        except BaseException:
            print(f"server log (tail):\n{server.log_tail(60)}", file=sys.stderr)
            raise
        finally:
            server.stop()
    print(f"etagere ingestion through the HTTP API: SQLite, {WORKERS} workers, {RUNS} runs")
    print_table(results)
    if args.cold_docs:
        import ingest_cold  # here, not above: it imports this module

        with tempfile.TemporaryDirectory(prefix="etagere-bench-cold-") as tmp:
            rows = ingest_cold.measure(args.cold_docs, Path(tmp))
        ingest_cold.print_rows(rows)


if __name__ == "__main__":
    main()
