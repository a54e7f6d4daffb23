"""Cold ingestion of many small text documents, against a plain encode of the same model.

Run from the repository root: ``python bench/ingest_cold.py [--docs 500]`` (``bench/ingest.py``
runs it too). The inputs are ``--docs`` plain-text files of about 5 kB. Five rows, one run:

- **plain encode**: the naive limit. The bundled ONNX file run by onnxruntime with its default
  session options (all cores), fixed batches of 32 in document order, over exactly the chunks the
  pipeline makes of these files (same chunker, same truncation to 256 word pieces).
- **etagere embedder**: ``LocalOnnxEmbedder`` over the same chunks, one thread per core as the
  workers run it: the ceiling of the whole pipeline, since every chunk must be embedded.
- **whole pipeline**: a real ``etagere serve`` (SQLite, fresh data directory, so no vector is
  cached) with one worker per core; the clock runs from the first upload to the last ``done``.
  The server's ``/metrics`` give where the workers' time went (the profile).
- the embedder and the pipeline again with ``ETAGERE_EMBEDDING_QUANTISED`` (int8 products:
  another model's vectors, close to the default's).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/ingest_cold.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from ingest import wait_done, write_text  # noqa: E402
from mistralai.client import Mistral  # noqa: E402
from tests.support.servers import EtagereServer, StoreLocation  # noqa: E402

from etagere.core.model import DocumentText, PageRange  # noqa: E402
from etagere.ingestion.extraction import ExtractionLimits, extract  # noqa: E402
from etagere.ingestion.indexing import ChunkingConfig, chunk_text  # noqa: E402
from etagere.search.embedding import (  # noqa: E402
    LocalOnnxEmbedder,
    default_cache_dir,
    load_tokenizer,
)
from etagere.search.embedding._local import bundled_model_path  # noqa: E402

DOC_BYTES = 5_000
PLAIN_BATCH = 32
CORES = os.cpu_count() or 1
STEPS = ("extract", "summary", "tokens", "chunk", "embed", "store")


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    cpu_seconds: float | None
    chunks: int
    docs: int


def chunks_of(files: Sequence[Path]) -> list[str]:
    """The chunks the pipeline makes of ``files`` (extraction and chunking as the worker does)."""
    texts: list[str] = []
    for path in files:
        extraction = extract(path, filename=path.name, limits=ExtractionLimits())
        pages = tuple(PageRange(p.number, p.start, p.end) for p in extraction.pages)
        text = DocumentText(text=extraction.markdown, pages=pages)
        texts += [c.text for c in chunk_text(text, ChunkingConfig(), None)]
    return texts


def plain_encode(texts: Sequence[str]) -> tuple[float, float]:
    """Wall and CPU seconds of the naive encode: default session, batches of 32 in order."""
    session: Any = ort.InferenceSession(
        str(bundled_model_path()), providers=["CPUExecutionProvider"]
    )
    tokenizer = load_tokenizer()
    wants_types = "token_type_ids" in {i.name for i in session.get_inputs()}
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), PLAIN_BATCH):
        encodings = tokenizer.encode_batch(list(texts[start : start + PLAIN_BATCH]))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if wants_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return time.perf_counter() - started, time.process_time() - cpu


def etagere_embedder(texts: Sequence[str], quantised: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of etagere's embedder, one thread per core (as the workers run)."""
    embedder = LocalOnnxEmbedder(cache_dir=default_cache_dir(), quantised=quantised)
    embedder.embed_documents(["warm up"])
    shares = [list(texts[i::CORES]) for i in range(CORES)]
    threads = [threading.Thread(target=embedder.embed_documents, args=(s,)) for s in shares]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, time.process_time() - cpu


def pipeline(
    files: Sequence[Path], data_dir: Path, quantised: bool = False
) -> tuple[float, float, dict[str, float]]:
    """Wall seconds until every file is done, the server's CPU seconds, seconds per step."""
    server = EtagereServer(store=StoreLocation(data_dir=data_dir))
    settings = {"ETAGERE_WORKERS": str(CORES), "ETAGERE_LOG_LEVEL": "warning"}
    server.start(extra_env={**settings, "ETAGERE_EMBEDDING_QUANTISED": str(quantised).lower()})
    try:
        assert server.process is not None
        client = Mistral(api_key=server.api_key, server_url=server.url, timeout_ms=120_000)
        library = client.beta.libraries.create(name="cold bench")
        before, cpu = step_seconds(server.url), process_cpu(server.process.pid)
        started = time.perf_counter()
        ids = set()
        for path in files:
            document = client.beta.libraries.documents.upload(
                library_id=library.id, file={"file_name": path.name, "content": path.read_bytes()}
            )
            ids.add(document.id)
        wait_done(client, library.id, ids, timeout=3600)
        seconds = time.perf_counter() - started
        used = process_cpu(server.process.pid) - cpu
        after = step_seconds(server.url)
    finally:
        server.stop()
    return seconds, used, {step: after.get(step, 0.0) - before.get(step, 0.0) for step in STEPS}


def step_seconds(url: str) -> dict[str, float]:
    """Sum of seconds per processing step, read from the server's Prometheus text."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    found = re.findall(r'etagere_processing_step_seconds_sum\{step="(\w+)"\} (\S+)', text)
    return {step: float(value) for step, value in found}


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(docs: int, work: Path, note: Callable[[str], None] = print) -> list[Row]:
    files = [write_text(work / f"note-{i:04}.txt", DOC_BYTES, seed=1000 + i) for i in range(docs)]
    texts = chunks_of(files)
    note(f"{docs} documents, {len(texts)} chunks; load average {os.getloadavg()}")
    plain = plain_encode(texts)
    ours = etagere_embedder(texts)
    ours_int8 = etagere_embedder(texts, quantised=True)
    seconds, cpu, steps = pipeline(files, work / "data")
    int8_seconds, int8_cpu, _ = pipeline(files, work / "data-int8", quantised=True)
    busy = sum(steps.values())
    profile = ", ".join(f"{s} {100 * v / busy:.1f}%" for s, v in steps.items() if busy)
    note(f"whole pipeline, where the workers' time went: {profile}")
    note(f"load average after the run {os.getloadavg()}")
    return [
        Row(
            f"plain encode (onnxruntime defaults, batches of {PLAIN_BATCH})",
            *plain,
            len(texts),
            docs,
        ),
        Row(f"etagere embedder ({CORES} threads x 1)", *ours, len(texts), docs),
        Row(f"whole pipeline (HTTP, {CORES} workers)", seconds, cpu, len(texts), docs),
        Row(f"etagere embedder, int8 products ({CORES} x 1)", *ours_int8, len(texts), docs),
        Row(
            f"whole pipeline, ETAGERE_EMBEDDING_QUANTISED ({CORES} workers)",
            int8_seconds,
            int8_cpu,
            len(texts),
            docs,
        ),
    ]


def print_rows(rows: Sequence[Row]) -> None:
    base = rows[0]
    header = ("run", "s", "chunks/s", "docs/s", "x plain (wall)", "CPU s", "x plain (CPU)")
    lines = [
        (
            r.label,
            f"{r.seconds:.1f}",
            f"{r.chunks / r.seconds:.1f}",
            f"{r.docs / r.seconds:.2f}",
            f"{base.seconds / r.seconds:.2f}",
            f"{r.cpu_seconds:.1f}" if r.cpu_seconds is not None else "-",
            f"{base.cpu_seconds / r.cpu_seconds:.2f}"
            if r.cpu_seconds and base.cpu_seconds
            else "-",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print("x plain: the plain encode's time divided by the row's (higher is faster)")
    print("CPU s of the pipeline: the server process only (sandbox children not counted)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=500, help="number of ~5 kB text files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="etagere-bench-cold-") as tmp:
        rows = measure(args.docs, Path(tmp))
    print_rows(rows)


if __name__ == "__main__":
    main()
