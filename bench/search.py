"""Search latency, QPS and recall: etagere's hybrid search next to LanceDB and Chroma, one run.

Run from the repository root: ``python bench/search.py`` (10k and 100k chunks, about 10
minutes on 2 busy cores with both peers, mostly index builds); the 1M size is opt-in:
``--sizes 10000,100000,1000000`` (our HNSW build alone takes 10+ minutes and a few GB; add
``--peers ''`` to skip the peers' builds). Peers are optional and skipped with a note when
missing: ``pip install lancedb chromadb`` (for the benchmark only, not project dependencies).
``--sweep`` prints instead the HNSW recall/latency trade-off behind the engine's constants.

Per size, every system indexes the same chunks (see ``search_data``: recycled SciFact passages,
real MiniLM passage embeddings plus noise), then answers the same SciFact claims one at a time,
single-threaded, after a warm-up. Latencies exclude query embedding, which is its own row (the
same MiniLM int8 model the server uses, one query per call). recall@10 is against exact search
on the same vectors: numpy brute force for vector rows; for hybrid rows, the same system's
fusion over exact vector candidates (ours: BM25 top 50 + brute-force top 50, fused as the
default search fuses; LanceDB:
its hybrid query with ``bypass_vector_index``).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from query_timing import Timings, run_queries
from search_data import (
    NOISE,
    Corpus,
    Queries,
    clustered_vectors,
    exact_top,
    passage_vectors,
    random_queries,
    random_unit,
    recall_at,
    scifact_passages,
    scifact_queries,
)
from search_restart import restart
from search_systems import DEPTH, FILTER_EVERY, PEERS, Chroma, Etagere, LanceDB, installed
from search_tuning import sweep

from etagere.search.embedding import LocalOnnxEmbedder

# Issue goals: hybrid p50 per size (ms), recall@10 against exact search at every size.
TARGET_P50_MS = {100_000: 1.5, 1_000_000: 5.0}
TARGET_RECALL = 0.97


@dataclass
class Row:
    system: str
    timings: Timings
    recall: float | None = None
    build_s: float | None = None
    rss_mb: float | None = None
    restarted: dict[str, float] | None = None  # search_restart.restart's report

    def p(self, q: float) -> float:
        return float(np.percentile(self.timings.wall, q))

    @property
    def cpu_p50(self) -> float:
        return float(np.median(self.timings.cpu))

    @property
    def qps(self) -> float:
        return 1000.0 * len(self.timings.wall) / float(self.timings.wall.sum())


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed_build(build: Callable[[], None]) -> tuple[float, float]:
    """Seconds taken and resident memory gained (MB) by ``build``."""
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    build()
    seconds = time.perf_counter() - started
    gc.collect()
    return seconds, rss_mb() - before


def measure_etagere(corpus: Corpus, queries: Queries, truth: np.ndarray, warmup: int) -> list[Row]:
    system = Etagere()
    seconds, memory = timed_build(lambda: system.build(corpus))
    keyword = run_queries(system.keyword, queries, warmup)
    vector = run_queries(system.vector, queries, warmup)
    hybrid = run_queries(system.hybrid, queries, warmup)
    filtered = run_queries(system.hybrid_filtered, queries, warmup)
    reference = [
        system.hybrid_exact(t, list(ids), corpus.vectors, v)
        for t, ids, v in zip(queries.texts, truth.tolist(), queries.vectors, strict=True)
    ]
    kept = system.filtered_keys()
    kept_truth = kept[exact_top(corpus.vectors[kept], queries.vectors, DEPTH)]
    filtered_reference = [
        system.hybrid_exact(t, list(ids), corpus.vectors, v, system.filtered)
        for t, ids, v in zip(queries.texts, kept_truth.tolist(), queries.vectors, strict=True)
    ]
    restarted = restart("etagere", system.directory, queries.texts, queries.vectors)
    system.close()
    return [
        Row("etagere keyword (tantivy BM25)", keyword, None, seconds, memory),
        Row("etagere vector (usearch)", vector, recall_at(vector.found, truth[:, :10].tolist())),
        Row(
            "etagere hybrid",
            hybrid,
            recall_at(hybrid.found, reference),
            restarted=restarted,
        ),
        Row(
            f"etagere hybrid, {100 // FILTER_EVERY}% filter",
            filtered,
            recall_at(filtered.found, filtered_reference),
        ),
    ]


def measure_lancedb(corpus: Corpus, queries: Queries, truth: np.ndarray, warmup: int) -> list[Row]:
    system = LanceDB()
    try:
        seconds, memory = timed_build(lambda: system.build(corpus))
        hybrid = run_queries(system.hybrid, queries, warmup)
        vector = run_queries(system.vector, queries, warmup)
        pairs = zip(queries.texts, queries.vectors, strict=True)
        reference = [system.hybrid_exact(t, v) for t, v in pairs]
        restarted = restart("lancedb", system.directory, queries.texts, queries.vectors)
        return [
            Row(
                "LanceDB hybrid (RRF)",
                hybrid,
                recall_at(hybrid.found, reference),
                seconds,
                memory,
                restarted,
            ),
            Row("LanceDB vector", vector, recall_at(vector.found, truth[:, :10].tolist())),
        ]
    finally:
        system.close()


def measure_chroma(corpus: Corpus, queries: Queries, truth: np.ndarray, warmup: int) -> list[Row]:
    system = Chroma()
    try:
        seconds, memory = timed_build(lambda: system.build(corpus))
        vector = run_queries(system.vector, queries, warmup)
        recall = recall_at(vector.found, truth[:, :10].tolist())
        restarted = restart("chroma", system.directory, queries.texts, queries.vectors)
        return [Row("Chroma vector", vector, recall, seconds, memory, restarted)]
    finally:
        system.close()


MEASURE = {"lancedb": measure_lancedb, "chroma": measure_chroma}


def print_table(size: int, rows: list[Row]) -> None:
    print(f"\n## {size:,} chunks (load average {os.getloadavg()[0]:.2f})")
    header = f"{'system':<32} | {'p50 ms':>7} | {'p95':>7} | {'p99':>7} | {'CPU p50':>7} | "
    print(
        header + f"{'QPS':>7} | {'recall@10':>9} | {'build s':>7} | {'RSS MB':>7} | "
        f"{'restart s':>9} | {'RSS after':>9} | {'private':>7}"
    )
    print("-" * (len(header) + 75))
    for row in rows:
        recall = f"{row.recall:.4f}" if row.recall is not None else "-"
        build = f"{row.build_s:.1f}" if row.build_s is not None else ""
        memory = f"{row.rss_mb:.0f}" if row.rss_mb is not None else ""
        again = row.restarted or {}
        restart_cells = (
            f"{again['seconds']:>9.1f} | {again['rss_mb']:>9.0f} | {again['private_mb']:>7.0f}"
            if again
            else f"{'':>9} | {'':>9} | {'':>7}"
        )
        print(
            f"{row.system:<32} | {row.p(50):>7.2f} | {row.p(95):>7.2f} | {row.p(99):>7.2f} | "
            f"{row.cpu_p50:>7.2f} | "
            f"{row.qps:>7.0f} | {recall:>9} | {build:>7} | {memory:>7} | {restart_cells}"
        )


def print_ratios(size: int, rows: list[Row]) -> None:
    by_name = {row.system: row for row in rows}
    ours = by_name["etagere hybrid"]
    pairs = [
        ("LanceDB hybrid (RRF)", "etagere hybrid"),
        ("LanceDB vector", "etagere vector (usearch)"),
        ("Chroma vector", "etagere vector (usearch)"),
    ]
    for peer, mine in pairs:
        if peer in by_name:
            them, us = by_name[peer], by_name[mine]
            print(
                f"ratio {peer} / {mine}: p50 {them.p(50) / us.p(50):.1f}x, "
                f"p99 {them.p(99) / us.p(99):.1f}x, CPU p50 {them.cpu_p50 / us.cpu_p50:.1f}x; "
                f"QPS etagere/peer {us.qps / them.qps:.1f}x"
            )
    filtered = by_name[f"etagere hybrid, {100 // FILTER_EVERY}% filter"]
    print(
        f"filtered / unfiltered hybrid: p50 {filtered.p(50) / ours.p(50):.2f}x, "
        f"CPU p50 {filtered.cpu_p50 / ours.cpu_p50:.2f}x (goal <= 2x)"
    )
    vector = by_name["etagere vector (usearch)"]
    target = TARGET_P50_MS.get(size)
    verdict = "" if target is None else ("met" if ours.p(50) <= target else "MISSED")
    recall_ok = "met" if min(vector.recall or 0, ours.recall or 0) >= TARGET_RECALL else "MISSED"
    goal = f" <= {target} ms {verdict}" if target is not None else " (no goal at this size)"
    print(
        f"targets: hybrid p50 {ours.p(50):.2f} ms{goal}; "
        f"recall@10 vector {vector.recall:.4f}, hybrid {ours.recall:.4f} >= {TARGET_RECALL} "
        f"{recall_ok}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts (1000000 is opt-in)")
    parser.add_argument("--queries", type=int, default=200, help="SciFact claims to run")
    parser.add_argument("--warmup", type=int, default=20, help="untimed queries per system")
    parser.add_argument("--peers", default="lancedb,chroma", help="peers to run ('' for none)")
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="random unit vectors instead of MiniLM embeddings (no embedding CPU; for a busy "
        "machine: recall and vector latency are not comparable with a default run)",
    )
    parser.add_argument(
        "--sweep", action="store_true", help="only the HNSW parameter sweep (search_tuning)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    peers = [p for p in args.peers.split(",") if p]

    print(
        f"bench/search: sizes {', '.join(f'{s:,}' for s in sizes)}; {args.queries} queries "
        f"(SciFact claims), {args.warmup} warm-up; top 10, candidate depth {DEPTH}"
    )
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start "
        "(shared machine: other processes may be running)"
    )
    print(f"- {Etagere.describe()}")
    if not peers:
        print("- peers: none requested (--peers '')")
    available = []
    for peer in peers:
        cls, module = PEERS[peer]
        if installed(module):
            print(f"- {cls.describe()}")
            available.append(peer)
        else:
            print(f"- {cls.name}: not installed, skipped (pip install {module})")

    passages = scifact_passages()
    if args.random_vectors:
        centres, queries = random_unit(len(passages)), random_queries(args.queries)
        embed_row = None
    else:
        embedder = LocalOnnxEmbedder()
        centres = passage_vectors(embedder, passages)
        queries = scifact_queries(embedder, args.queries)
        embed_row = Row(
            "query embedding (MiniLM int8)", Timings(queries.embed_ms, queries.embed_cpu_ms, [])
        )
    kind = "random unit vectors" if args.random_vectors else "their real MiniLM embeddings"
    print(
        f"data: {len(passages):,} SciFact passages (<= 1,000 chars) recycled with an id token; "
        f"vectors = {kind} + Gaussian noise (norm {NOISE}), normalised; query vectors = "
        + ("random" if args.random_vectors else "real MiniLM embeddings of the claims"),
        flush=True,
    )

    for size in sizes:
        corpus = Corpus(passages, clustered_vectors(centres, size))
        truth = exact_top(corpus.vectors, queries.vectors, DEPTH)
        if args.sweep:
            sweep(corpus.vectors, queries.vectors, truth)
            continue
        rows = measure_etagere(corpus, queries, truth, args.warmup)
        if embed_row is not None:
            rows.append(embed_row)
        for peer in available:
            try:
                rows += MEASURE[peer](corpus, queries, truth, args.warmup)
            # A peer's failure (e.g. one that needs the network) is reported, not fatal.
            except Exception as error:
                print(f"{PEERS[peer][0].name} failed at {size:,} chunks: {error!r}", flush=True)
        print_table(size, rows)
        print_ratios(size, rows)
        del corpus, truth
        gc.collect()
    if args.sweep:
        return
    print(
        "\nLatencies are wall-clock; CPU p50 is the process CPU time per query (all threads), "
        "less sensitive to other processes' load. Latencies exclude query embedding (its own "
        "row, one claim per call, same for every size). QPS = queries / total time, one "
        "thread, sequential. build s: index construction from in-memory data (ours: the first "
        "generation written to a data directory, documents of 10 chunks, then opened "
        "memory-mapped; peers: table/collection add + indexes, on disk). RSS MB: resident "
        "memory gained by this process during the build. restart s: a new process is "
        "spawned, imports, opens the persisted index and answers its first query (wall "
        "time from spawn); RSS after / private: that process's resident and private memory "
        "(pages not shared with another process mapping the same files, i.e. what a second "
        "process on the same data adds) after answering every query once."
    )


if __name__ == "__main__":
    main()
