"""Dense-only retrieval quality of the local embedder on SciFact (BEIR test split).

Run: ``PYTHONPATH=src python bench/embed_scifact.py [--chunk-sizes 512,1000,2000]``.
Documents are ``title + " " + text``; 300 test queries; exact cosine with numpy.
Then the same documents are chunked with ``chunk_markdown`` at each chunk size
(a document's score is the max over its chunks), to inform the default
``chunk_size``. Embeddings are cached under ``$ETAGERE_BENCH_CACHE``
(default /tmp/etagere-bench-cache), never in the repository.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt

from etagere.ingestion.chunking import chunk_markdown
from etagere.ingestion.tokens import count_tokens
from etagere.search.embedding import LocalOnnxEmbedder

EVAL_DIR = Path(
    os.environ.get(
        "ETAGERE_EVAL_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "eval"
    )
)
CACHE_DIR = Path(os.environ.get("ETAGERE_BENCH_CACHE", "/tmp/etagere-bench-cache"))
PUBLISHED = [
    ("bge-small-en-v1.5 (MTEB)", 0.7127, 0.945),
    ("all-MiniLM-L6-v2 (quoted)", 0.645, None),
]
Matrix = npt.NDArray[np.float32]


def load_scifact() -> tuple[list[str], list[str], dict[str, str], dict[str, dict[str, int]]]:
    """Document ids, document texts, test queries by id, and test qrels."""
    root = EVAL_DIR / "scifact"
    ids, texts = [], []
    with gzip.open(root / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            ids.append(record["_id"])
            texts.append(f"{record['title']} {record['text']}")
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (root / "qrels" / "test.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            qrels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    queries = {}
    with (root / "queries.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["_id"] in qrels:
                queries[record["_id"]] = record["text"]
    return ids, texts, queries, dict(qrels)


def embed_cached(embedder: LocalOnnxEmbedder, texts: list[str]) -> tuple[Matrix, float]:
    """Embeddings of ``texts``; each distinct text is embedded once across all runs.

    Returns the matrix and the seconds spent embedding texts not yet cached.
    """
    path = CACHE_DIR / f"{embedder.model_name}.npz"
    cache: dict[str, Matrix] = {}
    if path.exists():
        stored = np.load(path)
        cache = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    started = time.perf_counter()
    if missing:
        print(
            f"embedding {len(missing)} texts once (about 25/s; cached in {path})",
            file=sys.stderr,
            flush=True,
        )
        vectors = embedder.embed_documents([t for _, t in missing])
        cache.update((k, v) for (k, _), v in zip(missing, vectors, strict=True))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
    return np.stack([cache[k] for k in keys]), time.perf_counter() - started


def evaluate(
    scores: Matrix, doc_ids: list[str], query_ids: list[str], qrels: dict[str, dict[str, int]]
) -> tuple[float, float]:
    """Mean nDCG@10 (linear gain, as pytrec_eval) and recall@100 over the queries."""
    top = np.argsort(-scores, axis=1)[:, :100]
    ndcgs, recalls = [], []
    for row, query_id in enumerate(query_ids):
        relevant = qrels[query_id]
        ranked = [doc_ids[i] for i in top[row]]
        dcg = sum(relevant.get(d, 0) / math.log2(rank + 2) for rank, d in enumerate(ranked[:10]))
        ideal = sorted(relevant.values(), reverse=True)[:10]
        idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        ndcgs.append(dcg / idcg if idcg else 0.0)
        hits = sum(1 for d in ranked if relevant.get(d, 0) > 0)
        recalls.append(hits / sum(1 for g in relevant.values() if g > 0))
    return float(np.mean(ndcgs)), float(np.mean(recalls))


def chunked_scores(
    embedder: LocalOnnxEmbedder, texts: list[str], queries: Matrix, size: int, overlap: int
) -> tuple[Matrix, int, float]:
    """Query-document scores as the max over each document's chunks."""
    owners, chunk_texts = [], []
    for index, text in enumerate(texts):
        for chunk in chunk_markdown(text, [], chunk_size=size, overlap=overlap):
            owners.append(index)
            chunk_texts.append(chunk.text)
    matrix, seconds = embed_cached(embedder, chunk_texts)
    chunk_scores = queries @ matrix.T
    scores = np.full((queries.shape[0], len(texts)), -np.inf, dtype=np.float32)
    np.maximum.at(scores.T, np.asarray(owners), chunk_scores.T)
    return scores, len(chunk_texts), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk-sizes", default="1000,512,2000")
    parser.add_argument("--overlap-ratio", type=float, default=0.15)
    parser.add_argument("--overlap-for", default="1000", help="sizes also run with overlap")
    args = parser.parse_args()
    doc_ids, texts, queries_by_id, qrels = load_scifact()
    query_ids = list(queries_by_id)
    embedder = LocalOnnxEmbedder(batch_size=8, intra_op_threads=1)
    queries = embedder.embed_documents([queries_by_id[q] for q in query_ids])
    lengths = sorted(len(t) for t in texts)
    tokens = sorted(count_tokens(t) for t in texts[::10])
    print(
        f"SciFact test: {len(texts)} docs, {len(query_ids)} queries; doc chars median "
        f"{lengths[len(lengths) // 2]}, word pieces median {tokens[len(tokens) // 2]}, "
        f"{sum(t > 256 for t in tokens) / len(tokens):.0%} of docs over the 256-token window",
        flush=True,
    )
    docs, seconds = embed_cached(embedder, texts)
    ndcg, recall = evaluate(queries @ docs.T, doc_ids, query_ids, qrels)
    print(f"\n{'system':<36} | {'nDCG@10':>7} | {'R@100':>6} | {'chunks':>6} | embed s")
    print(
        f"{'local MiniLM int8, whole doc':<36} | {ndcg:>7.4f} | {recall:>6.4f} | "
        f"{len(texts):>6} | {seconds:>6.0f}",
        flush=True,
    )
    for size in (int(s) for s in args.chunk_sizes.split(",")):
        with_overlap = str(size) in args.overlap_for.split(",")
        for overlap in sorted({0, int(size * args.overlap_ratio) if with_overlap else 0}):
            scores, count, seconds = chunked_scores(embedder, texts, queries, size, overlap)
            ndcg, recall = evaluate(scores, doc_ids, query_ids, qrels)
            label = f"  chunk_size {size}, overlap {overlap}, max"
            print(
                f"{label:<36} | {ndcg:>7.4f} | {recall:>6.4f} | {count:>6} | {seconds:>6.0f}",
                flush=True,
            )
    for name, published_ndcg, published_recall in PUBLISHED:
        shown = f"{published_recall:.4f}" if published_recall else "     -"
        print(f"{'published ' + name:<36} | {published_ndcg:>7.4f} | {shown:>6} |")
    print("(embed s: time to embed texts not already cached; 0 when all were cached)")


if __name__ == "__main__":
    main()
