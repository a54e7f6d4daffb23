"""Local embedder throughput: chunks/s for 1,000-character chunks, and query latency.

Run: ``PYTHONPATH=src python bench/embed_throughput.py [--chunks 256]``. The
chunks are 1,000-character slices of SciFact abstracts (real scientific prose,
about 200-250 word pieces each, close to the model's 256-token window).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
from pathlib import Path

from etagere.search.embedding import LocalOnnxEmbedder

EVAL_DIR = Path(
    os.environ.get(
        "ETAGERE_EVAL_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "eval"
    )
)


def thousand_char_chunks(count: int) -> list[str]:
    """``count`` chunks of exactly 1,000 characters cut from concatenated abstracts."""
    text = []
    with gzip.open(EVAL_DIR / "scifact" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            text.append(f"{record['title']} {record['text']}")
            if sum(map(len, text)) > count * 1000:
                break
    joined = " ".join(text)
    return [joined[i * 1000 : (i + 1) * 1000] for i in range(count)]


def chunks_per_second(chunks: list[str], batch_size: int, threads: int) -> float:
    """Median of three runs, after one warm-up batch that loads the model."""
    embedder = LocalOnnxEmbedder(batch_size=batch_size, intra_op_threads=threads)
    embedder.embed_documents(chunks[:batch_size])
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        embedder.embed_documents(chunks)
        rates.append(len(chunks) / (time.perf_counter() - started))
    return statistics.median(rates)


def query_latency_ms(threads: int, repeats: int = 200) -> tuple[float, float]:
    """p50 and p95 of embedding one short query, in milliseconds."""
    embedder = LocalOnnxEmbedder(intra_op_threads=threads)
    embedder.embed_query("warm up")
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        embedder.embed_query(f"does vitamin D supplementation reduce fracture risk {i}")
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=256)
    args = parser.parse_args()
    chunks = thousand_char_chunks(args.chunks)
    print(f"local embedder, {len(chunks)} chunks of 1,000 chars, {os.cpu_count()} cores")
    print(f"{'batch':>5} | {'1 thread':>10} | {'2 threads':>10} | {'ratio':>5}")
    for batch_size in (8, 32, 64):
        one = chunks_per_second(chunks, batch_size, 1)
        two = chunks_per_second(chunks, batch_size, 2)
        print(f"{batch_size:>5} | {one:>8.1f}/s | {two:>8.1f}/s | {two / one:>5.2f}")
    print(f"\n{'threads':>7} | {'query p50':>10} | {'query p95':>10}")
    for threads in (1, 2):
        p50, p95 = query_latency_ms(threads)
        print(f"{threads:>7} | {p50:>7.1f} ms | {p95:>7.1f} ms")


if __name__ == "__main__":
    main()
