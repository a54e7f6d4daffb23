"""The data of ``bench/search.py``: recycled SciFact passages, clustered vectors, real queries.

Texts are SciFact abstracts split by ``chunk_markdown`` into passages of at most 1,000
characters (10,768 of them), recycled up to N chunks; chunk ``i`` is passage ``i % P`` plus an
id token ``ref{i}``, so every chunk is a distinct document for BM25 and the term dictionary grows
with N as it would with real identifiers.

Vectors are not random Gaussians (in 384 dimensions those are all nearly equidistant, which is
pathological for HNSW): chunk ``i`` gets the real MiniLM embedding of its passage plus isotropic
noise of norm ``NOISE`` (relative to the unit vector), normalised. So the corpus is a mixture of
10,768 Gaussian clusters centred on real passage embeddings, and at 1M each cluster holds ~93
near-duplicates, a hard case for HNSW. Query vectors are the real embeddings of the SciFact
claims (embedded here, which is also how the query-embedding latency is measured).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from embed_scifact import embed_cached

from etagere.ingestion.chunking import chunk_markdown
from etagere.search.embedding import LocalOnnxEmbedder

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = Path(os.environ.get("ETAGERE_EVAL_DIR") or ROOT.parent / "shared" / "eval")
PASSAGE_CHARS = 1000
NOISE = 0.5
SEED = 20261125
Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Corpus:
    """N chunks: text ``i`` is recycled from the passages, vector ``i`` is a row of ``vectors``."""

    passages: list[str]
    vectors: Matrix

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    def text(self, i: int) -> str:
        return f"{self.passages[i % len(self.passages)]} ref{i}"

    def batches(self, size: int) -> Iterator[range]:
        for start in range(0, self.size, size):
            yield range(start, min(start + size, self.size))


@dataclass(frozen=True)
class Queries:
    """SciFact claims, their MiniLM vectors, and how long embedding each one took (ms)."""

    texts: list[str]
    vectors: Matrix
    embed_ms: npt.NDArray[np.float64]
    embed_cpu_ms: npt.NDArray[np.float64]

    def first(self, n: int) -> Queries:
        return Queries(self.texts[:n], self.vectors[:n], self.embed_ms[:n], self.embed_cpu_ms[:n])


def scifact_passages() -> list[str]:
    """SciFact abstracts (title + text) cut into passages of at most 1,000 characters."""
    return [text for _, text in scifact_sourced_passages()]


def scifact_sourced_passages() -> list[tuple[str, str]]:
    """(corpus id, passage) pairs: the passages of ``scifact_passages`` with their abstract."""
    passages = []
    with gzip.open(EVAL_DIR / "scifact" / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            text = f"{record['title']} {record['text']}"
            passages += [
                (record["_id"], c.text)
                for c in chunk_markdown(text, [], chunk_size=PASSAGE_CHARS, overlap=0)
            ]
    return passages


def scifact_test_claims() -> list[tuple[str, set[str]]]:
    """The 300 test claims of SciFact and the corpus ids relevant to each (BEIR's qrels)."""
    relevant: dict[str, set[str]] = {}
    with (EVAL_DIR / "scifact" / "qrels" / "test.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            relevant.setdefault(row["query-id"], set()).add(row["corpus-id"])
    with (EVAL_DIR / "scifact" / "queries.jsonl").open(encoding="utf-8") as lines:
        texts = {r["_id"]: r["text"] for r in map(json.loads, lines)}
    return [(texts[query], documents) for query, documents in relevant.items()]


def passage_vectors(embedder: LocalOnnxEmbedder, passages: list[str]) -> Matrix:
    """Real embeddings of the passages, from the cache shared with bench/embed_scifact.py."""
    vectors, _ = embed_cached(embedder, passages)
    return vectors.astype(np.float32)


def clustered_vectors(centres: Matrix, n: int, noise: float = NOISE, seed: int = SEED) -> Matrix:
    """Row ``i``: centre ``i % len(centres)`` plus Gaussian noise of norm ~``noise``, normalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    scale = noise / np.sqrt(centres.shape[1])
    for start in range(0, n, 65_536):
        stop = min(start + 65_536, n)
        rows = centres[np.arange(start, stop) % len(centres)]
        rows = rows + rng.standard_normal(rows.shape, dtype=np.float32) * np.float32(scale)
        out[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def scifact_claims(count: int) -> list[str]:
    """The first ``count`` SciFact claims."""
    texts = []
    with (EVAL_DIR / "scifact" / "queries.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            texts.append(json.loads(line)["text"])
            if len(texts) == count:
                break
    return texts


def random_unit(rows: int, dimension: int = 384, seed: int = SEED) -> Matrix:
    """Random unit vectors: stand-ins for embeddings when the machine cannot spare the CPU."""
    vectors = np.random.default_rng(seed).standard_normal((rows, dimension), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def random_queries(count: int) -> Queries:
    """SciFact claims with random unit vectors (``--random-vectors``); no embedding timed."""
    texts = scifact_claims(count)
    empty = np.zeros(0, dtype=np.float64)
    return Queries(texts, random_unit(len(texts), seed=SEED + 1), empty, empty)


def scifact_queries(embedder: LocalOnnxEmbedder, count: int) -> Queries:
    """The first ``count`` SciFact claims, each embedded alone and timed (after a warm-up)."""
    texts = scifact_claims(count)
    for text in texts[:5]:
        embedder.embed_query(text)  # loads the model; not timed
    vectors, wall, cpu = [], [], []
    for text in texts:
        started, started_cpu = time.perf_counter_ns(), time.process_time_ns()
        vectors.append(embedder.embed_query(text))
        cpu.append((time.process_time_ns() - started_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - started) / 1e6)
    return Queries(texts, np.stack(vectors).astype(np.float32), np.array(wall), np.array(cpu))


def exact_top(vectors: Matrix, queries: Matrix, k: int) -> npt.NDArray[np.int64]:
    """Brute-force top ``k`` rows by cosine (all vectors are unit length), best first."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), 262_144):
        scores = queries @ vectors[start : start + 262_144].T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best_scores = np.hstack([best_scores, np.take_along_axis(scores, top, axis=1)])
        best_ids = np.hstack([best_ids, top + start])
        keep = np.argsort(-best_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
    return best_ids


def recall_at(found: list[list[int]], truth: list[list[int]], k: int = 10) -> float:
    """Mean share of the true top ``k`` that the system returned in its top ``k``."""
    shares = [
        len(set(f[:k]) & set(t[:k])) / max(1, len(t[:k])) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(shares))
