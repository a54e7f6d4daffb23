"""The HNSW recall/latency trade-off behind the constants in ``etagere.search.index.memory``.

``python bench/search.py --sweep`` builds usearch indexes over the benchmark's vectors with
several connectivity values (bulk ``add``, the same graph parameters the engine uses) and
queries each with several ``expansion_search`` values, plus exact search, at k = 10 (a vector
search) and k = 50 (the hybrid search's candidate depth). recall is against numpy brute force.
"""

from __future__ import annotations

import time

import numpy as np
from search_data import Matrix, recall_at

from etagere.search.index import memory  # before usearch: it imports onnxruntime first

from usearch.index import Index as VectorIndex  # isort: skip

CONNECTIVITIES = (16, 32)
EXPANSIONS = (16, 32, 64, 128, 256, 512)


def _p50_and_found(
    index: VectorIndex, queries: Matrix, k: int, exact: bool
) -> tuple[float, list[list[int]]]:
    for vector in queries[:10]:
        index.search(vector, k, exact=exact)
    times, found = [], []
    for vector in queries:
        started = time.perf_counter_ns()
        matches = index.search(vector, k, exact=exact)
        times.append((time.perf_counter_ns() - started) / 1e6)
        found.append([int(key) for key in matches.keys])
    return float(np.median(times)), found


def sweep(vectors: Matrix, queries: Matrix, truth: np.ndarray) -> None:
    """Print recall@10, recall@50 and p50 per configuration for these vectors."""
    keys = np.arange(len(vectors), dtype=np.uint64)
    print(
        f"\n### HNSW sweep, {len(vectors):,} vectors ({len(queries)} queries; current: "
        f"connectivity {memory.CONNECTIVITY}, expansion_add {memory.EXPANSION_ADD}, "
        f"expansion_search {memory.EXPANSION_SEARCH}, exact below {memory.EXACT_BELOW:,})"
    )
    print(
        f"{'configuration':<34} | {'R@10':>6} | {'p50 k=10':>8} | {'R@50':>6} | "
        f"{'p50 k=50':>8} | build s"
    )
    rows = [("exact (brute force)", None)] + [
        (f"M={m}, ef_add={memory.EXPANSION_ADD}, ef_search={ef}", (m, ef))
        for m in CONNECTIVITIES
        for ef in EXPANSIONS
    ]
    built: dict[int, tuple[VectorIndex, float]] = {}
    for label, config in rows:
        m = config[0] if config else CONNECTIVITIES[0]
        if m not in built:
            built.clear()  # one graph in memory at a time
            index = VectorIndex(
                ndim=vectors.shape[1],
                metric="cos",
                dtype="f32",
                connectivity=m,
                expansion_add=memory.EXPANSION_ADD,
            )
            started = time.perf_counter()
            index.add(keys, vectors)
            built[m] = (index, time.perf_counter() - started)
        index, seconds = built[m]
        exact = config is None
        if config:
            index.expansion_search = config[1]  # type: ignore[misc]  # settable at run time
        p10, found10 = _p50_and_found(index, queries, 10, exact)
        p50, found50 = _p50_and_found(index, queries, 50, exact)
        r10 = recall_at(found10, truth[:, :10].tolist(), 10)
        r50 = recall_at(found50, truth[:, :50].tolist(), 50)
        shown = "" if exact else f"{seconds:.1f}"
        print(
            f"{label:<34} | {r10:>6.4f} | {p10:>8.3f} | {r50:>6.4f} | {p50:>8.3f} | {shown:>7}",
            flush=True,
        )
