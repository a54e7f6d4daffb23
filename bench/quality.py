"""Retrieval quality of a real etagere server on SciFact (BEIR test split), through the HTTP API.

Run from the repository root: ``python bench/quality.py``. Ingesting the 5,183 abstracts
(about 12,000 chunks) took 34 minutes on a loaded 2-core machine; the queries take a minute or
two. Add ``--keep /tmp/etagere-quality`` to ingest once and rerun only the queries afterwards.

A real ``etagere serve`` (SQLite in a temporary data directory, two processing workers) is
started exactly as the tests start it. Every corpus record is uploaded with the official
``mistralai`` SDK as one plain-text document ``title\\n\\ntext`` named ``<_id>.txt``; the clock
runs from the first upload to the last ``done``. Then the 300 test claims are sent one at a
time to ``POST /v1/libraries/{id}/search`` in each mode. A document's rank is the rank of its
best chunk (hits are chunks, so the top 100 hits may hold fewer than 100 documents). nDCG@10
and recall@100 follow BEIR (binary relevance, means over all 300 queries); latency is the HTTP
round trip, query embedding included.

Options: ``--limit-docs N`` for a smoke run (the relevant documents first, so the numbers are
not comparable to the published ones); ``--keep DIR`` keeps the data directory and reuses what
is already ingested there (the server restarts on it and rebuilds its in-memory indexes);
``--chunk-sizes 2000,...`` also ingests into libraries with these ``chunk_size`` values;
``--tune`` adds RRF variants (weights, rank constant) run through the ``rrf`` retriever;
``--sets scifact,bilingual`` chooses the evaluation sets (both by default): the bilingual one is
French and English manual pages with their one-line descriptions as queries, built by
``bench/bilingual.py`` (provenance there), each query language reported apart;
``--embedder multilingual`` runs the server with the offline multilingual model instead of the
bundled English one, ``--embedder quantised`` with the bundled one's int8 copy. The load
average is printed at the start and the end: figures from a loaded machine say so.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/quality.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from bilingual import load_bilingual  # noqa: E402
from mistralai.client import Mistral  # noqa: E402
from mistralai.client.utils import BackoffStrategy, RetryConfig  # noqa: E402
from tests.support.servers import EtagereServer, StoreLocation, admin  # noqa: E402

from etagere.settings import Settings  # noqa: E402

EVAL_DIR = Path(os.environ.get("ETAGERE_EVAL_DIR") or ROOT.parent / "shared" / "eval") / "scifact"
WORKERS = 2
UPLOAD_THREADS = 4
TOP_K = 100
POLL_EVERY_S = 5.0
INGEST_TIMEOUT_S = 3600
STATE_FILE = "quality-state.json"
FAILED = ("error", "missing_content")
BILINGUAL_PAGES = 60
# --embedder choices: the server settings each one means.
EMBEDDERS: dict[str, dict[str, str]] = {
    "local": {"ETAGERE_EMBEDDER": "local"},
    "quantised": {"ETAGERE_EMBEDDER": "local", "ETAGERE_EMBEDDING_QUANTISED": "true"},
    "multilingual": {"ETAGERE_EMBEDDER": "multilingual"},
}
FAILURES: dict[str, str] = {}  # document name -> processing status, across libraries
RETRIES = RetryConfig("backoff", BackoffStrategy(100, 2_000, 1.5, 60_000), True)
# Published nDCG@10 / R@100 on the same split (see ../shared/eval/README.md, section 1).
PUBLISHED = (
    ("BM25 flat (Anserini)", 0.6789, 0.9253),
    ("BM25 multifield (BEIR paper)", 0.6647, 0.9076),
    ("bge-small-en-v1.5 (MTEB)", 0.7127, 0.945),
    ("bge-base-en-v1.5 (Anserini)", 0.7408, 0.9667),
    ("all-MiniLM-L6-v2 (quoted)", 0.645, None),
)
BM25_PUBLISHED = 0.6789


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """Queries and judgments of one part of a set (e.g. the French queries of the bilingual one)."""

    queries: dict[str, str]
    qrels: dict[str, set[str]]


@dataclass(frozen=True)
class SciFact:
    corpus: dict[str, str]  # corpus id -> "title\n\ntext"
    queries: dict[str, str]  # test query id -> claim
    qrels: dict[str, set[str]]  # test query id -> relevant corpus ids


def load_scifact(limit_docs: int | None) -> SciFact:
    """The corpus (or a subset holding the relevant documents first), test claims and qrels."""
    qrels: dict[str, set[str]] = defaultdict(set)
    with (EVAL_DIR / "qrels" / "test.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels[row["query-id"]].add(row["corpus-id"])
    corpus: dict[str, str] = {}
    with gzip.open(EVAL_DIR / "corpus.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            corpus[record["_id"]] = f"{record['title']}\n\n{record['text']}"
    if limit_docs is not None:
        relevant = [d for docs in qrels.values() for d in sorted(docs) if d in corpus]
        keep = list(dict.fromkeys([*relevant, *corpus]))[:limit_docs]
        corpus = {d: corpus[d] for d in keep}
        qrels = defaultdict(set, {q: docs & corpus.keys() for q, docs in qrels.items()})
        qrels = defaultdict(set, {q: docs for q, docs in qrels.items() if docs})
    queries: dict[str, str] = {}
    with (EVAL_DIR / "queries.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["_id"] in qrels:
                queries[record["_id"]] = record["text"]
    return SciFact(corpus, queries, dict(qrels))


# --- metrics (BEIR / trec_eval definitions, binary relevance) ------------------------------


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """nDCG@k with gain 1 per relevant document and log2(rank + 1) discount.

    >>> round(ndcg_at(["a", "x", "b"], {"a", "b"}, 10), 4)  # (1 + 1/2) / (1 + 1/log2(3))
    0.9197
    >>> ndcg_at(["x"], {"a"}), ndcg_at([], {"a"}), ndcg_at(["a"], {"a"})
    (0.0, 0.0, 1.0)
    """
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    """Share of the relevant documents found in the first k.

    >>> recall_at(["a", "x", "b"], {"a", "b", "c"}, 2)
    0.3333333333333333
    """
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def documents_in_order(source_ids: Sequence[str]) -> list[str]:
    """Rank documents by their best chunk: the first occurrence of each id.

    >>> documents_in_order(["b", "a", "b", "c", "a"])
    ['b', 'a', 'c']
    """
    return list(dict.fromkeys(source_ids))


# --- server and ingestion --------------------------------------------------------------------


@contextmanager
def running_server(data_dir: Path, api_key: str, embedder: str) -> Iterator[EtagereServer]:
    server = EtagereServer(store=StoreLocation(data_dir=data_dir), api_key=api_key)
    server.start(
        extra_env={
            "ETAGERE_WORKERS": str(WORKERS),
            "ETAGERE_LOG_LEVEL": "warning",
            **EMBEDDERS[embedder],
        }
    )
    try:
        yield server
    except BaseException:
        print(f"server log (tail):\n{server.log_tail(60)}", file=sys.stderr)
        raise
    finally:
        server.stop()


@dataclass(frozen=True)
class Ingested:
    label: str
    library_id: str
    corpus_of: dict[str, str]  # document id -> corpus id
    seconds: float | None  # None: reused from an earlier run
    uploaded: int


def library_label(chunk_size: int | None, docs: int, name: str = "scifact") -> str:
    effective = chunk_size or Settings.model_fields["chunk_size"].default
    origin = "library" if chunk_size else "server default"
    return f"{name} n={docs} chunk_size={effective} ({origin})"


def ingest(
    new_client: Any, corpus: dict[str, str], chunk_size: int | None, name: str = "scifact"
) -> Ingested:
    """Upload what the library lacks (all of it, unless kept) and wait until all are done."""
    client = new_client()
    label = library_label(chunk_size, len(corpus), name)
    library_id = find_library(client, label, chunk_size)
    present = {corpus_id for corpus_id in list_documents(client, library_id).values()}
    missing = [d for d in corpus if d not in present]
    started = time.perf_counter()
    if missing:
        upload_all(new_client, library_id, corpus, missing)
    corpus_of = wait_done(client, library_id, len(corpus), label, started)
    seconds = time.perf_counter() - started if missing else None
    return Ingested(label, library_id, corpus_of, seconds, len(missing))


def upload_all(new_client: Any, library_id: str, corpus: dict[str, str], ids: list[str]) -> None:
    local = threading.local()

    def upload(corpus_id: str) -> None:
        if not hasattr(local, "client"):  # one SDK client (one connection pool) per thread
            local.client = new_client()
        local.client.beta.libraries.documents.upload(
            library_id=library_id,
            file={"file_name": f"{corpus_id}.txt", "content": corpus[corpus_id].encode()},
            retries=RETRIES,  # safe to retry: an upload is deduplicated by content per library
        )

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        for count, _ in enumerate(pool.map(upload, ids), start=1):
            if count % 100 == 0 or count == len(ids):
                progress(f"uploaded {count}/{len(ids)}")
    print(file=sys.stderr)


def list_documents(
    client: Mistral, library_id: str, statuses: dict[str, int] | None = None
) -> dict[str, str]:
    """Document id -> corpus id of every document in the library.

    With ``statuses``, also count documents by status and note failures under their names.
    """
    found: dict[str, str] = {}
    page = 0
    while True:
        listing = client.beta.libraries.documents.list(
            library_id=library_id, page_size=100, page=page, retries=RETRIES
        )
        for document in listing.data:
            found[document.id] = document.name.removesuffix(".txt")
            if statuses is not None:
                status = document.process_status
                statuses[status] = statuses.get(status, 0) + 1
                if status in FAILED:
                    FAILURES[document.name] = document.processing_status
        if len(listing.data) < 100:
            return found
        page += 1


def wait_done(
    client: Mistral, library_id: str, expected: int, label: str, started: float
) -> dict[str, str]:
    """Poll until every document is done or failed (failures are reported, not fatal)."""
    deadline = time.monotonic() + INGEST_TIMEOUT_S
    while time.monotonic() < deadline:
        statuses: dict[str, int] = {}
        found = list_documents(client, library_id, statuses)
        done = statuses.get("done", 0)
        failed = sum(statuses.get(s, 0) for s in FAILED)
        elapsed = time.perf_counter() - started
        progress(f"{label}: {done}/{expected} done, {failed} failed, {elapsed:.0f} s")
        if len(found) >= expected and done + failed == len(found):
            print(file=sys.stderr)
            return found
        time.sleep(POLL_EVERY_S)
    raise RuntimeError(f"documents not done after {INGEST_TIMEOUT_S} s")


def progress(line: str) -> None:
    print(f"\r  {line}   ", end="", file=sys.stderr, flush=True)


# --- retrieval modes -------------------------------------------------------------------------


def keyword(query: str, top_k: int = TOP_K) -> dict[str, Any]:
    return {"type": "keyword", "query": query, "top_k": top_k}


def semantic(query: str, top_k: int = TOP_K) -> dict[str, Any]:
    return {"type": "nearest_neighbour", "query": query, "top_k": top_k}


def rrf(
    weights: tuple[float, float], rank_constant: int = 60, depth: int = TOP_K
) -> Any:  # a function of the query
    def body(query: str) -> dict[str, Any]:
        retrievers = [keyword(query, depth), semantic(query, depth)]
        return {
            "retriever": {
                "type": "rrf",
                "retrievers": retrievers,
                "weights": list(weights),
                "rank_constant": rank_constant,
                "top_k": TOP_K,
            }
        }

    return body


MODES: dict[str, Any] = {
    "keyword (BM25)": lambda q: {"retriever": keyword(q)},
    "semantic (vectors)": lambda q: {"retriever": semantic(q)},
    "hybrid (default)": lambda q: {"query": q, "top_k": TOP_K},
}
TUNING: dict[str, Any] = {
    f"rrf {kw:g}:{vec:g} k={k} depth 100": rrf((kw, vec), k)
    for kw, vec, k in (
        (1, 1, 60),
        (1, 1.5, 60),
        (1.5, 1, 60),
        (1, 2, 60),
        (2, 1, 60),
        (1, 1, 20),
        (1, 1, 10),
        (1, 1.5, 20),
        (1.5, 1, 20),
    )
}


@dataclass(frozen=True)
class Result:
    label: str
    ndcg10: float
    recall100: float
    latencies_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=20, method="inclusive")[-1]


def evaluate(
    http: httpx.Client,
    ingested: Ingested,
    data: SciFact | Judged,
    label: str,
    mode: Any,
) -> Result:
    url = f"/v1/libraries/{ingested.library_id}/search"
    ndcgs, recalls, latencies = [], [], []
    for query_id, text in data.queries.items():
        asked = time.perf_counter()
        response = http.post(url, json=mode(text))
        latencies.append((time.perf_counter() - asked) * 1000)
        response.raise_for_status()
        hits = response.json()["hits"]
        ranked = documents_in_order([ingested.corpus_of[h["chunk"]["source_id"]] for h in hits])
        ndcgs.append(ndcg_at(ranked, data.qrels[query_id], 10))
        recalls.append(recall_at(ranked, data.qrels[query_id], TOP_K))
    return Result(label, statistics.fmean(ndcgs), statistics.fmean(recalls), latencies)


# --- report ----------------------------------------------------------------------------------


def print_table(results: list[Result], with_published: bool) -> None:
    baseline = next((r.ndcg10 for r in results if r.label.startswith("keyword")), None)
    header = ("mode", "nDCG@10", "R@100", "p50 ms", "p95 ms", "vs keyword", "vs BM25 0.679")
    rows = [
        (
            r.label,
            f"{r.ndcg10:.3f}",
            f"{r.recall100:.3f}",
            f"{r.p50:.1f}",
            f"{r.p95:.1f}",
            f"{r.ndcg10 / baseline:.3f}" if baseline else "",
            f"{r.ndcg10 / BM25_PUBLISHED:.3f}",
        )
        for r in results
    ]
    if with_published:
        rows += [
            (
                f"published: {name}",
                f"{ndcg:.3f}",
                f"{recall:.3f}" if recall else "-",
                "-",
                "-",
                "",
                f"{ndcg / BM25_PUBLISHED:.3f}",
            )
            for name, ndcg, recall in PUBLISHED
        ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())


# --- main ------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-docs", type=int, default=None, help="smoke run on N documents")
    parser.add_argument("--keep", type=Path, default=None, help="data dir kept between runs")
    parser.add_argument(
        "--chunk-sizes",
        default="",
        help="comma-separated chunk_size values for extra libraries (default: none)",
    )
    parser.add_argument("--tune", action="store_true", help="also run RRF variants")
    parser.add_argument(
        "--embedder",
        default="local",
        choices=list(EMBEDDERS),
        help="the server's offline embedder (quantised: the bundled model with "
        "ETAGERE_EMBEDDING_QUANTISED); use a fresh --keep directory per embedder, since a "
        "library's vectors all come from one model",
    )
    parser.add_argument(
        "--sets",
        default="scifact,bilingual",
        help="comma-separated evaluation sets: scifact, bilingual (default: both)",
    )
    parser.add_argument(
        "--bilingual-pages",
        type=int,
        default=BILINGUAL_PAGES,
        help=f"manual pages per language in the bilingual set (default {BILINGUAL_PAGES})",
    )
    return parser.parse_args()


def load_state(data_dir: Path) -> dict[str, Any]:
    """The API key that can read a kept data directory (saved as soon as it is chosen)."""
    path = data_dir / STATE_FILE
    if path.exists():
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / "etagere.db").exists():  # kept without a state file: mint a key for it
        store = StoreLocation(data_dir=data_dir)
        key = admin(store, "create-key", "--user", "admin@localhost", "--workspace", "default")
        api_key = key["key"]
    else:
        api_key = "etg_bench_" + secrets.token_urlsafe(16)
    path.write_text(json.dumps({"api_key": api_key}))
    return {"api_key": api_key}


def find_library(client: Mistral, label: str, chunk_size: int | None) -> str:
    """The id of the library named ``label``, created if there is none."""
    for library in client.beta.libraries.list().data:
        if library.name == label:
            return library.id
    return client.beta.libraries.create(name=label, chunk_size=chunk_size).id


def run(data_dir: Path, args: argparse.Namespace) -> None:
    sets = set(args.sets.split(","))
    state = load_state(data_dir)
    sizes: list[int | None] = [None, *(int(s) for s in args.chunk_sizes.split(",") if s)]
    print(f"load average at start: {os.getloadavg()}; embedder: {args.embedder}")
    with running_server(data_dir, state["api_key"], args.embedder) as server:

        def new_client() -> Mistral:
            return Mistral(api_key=server.api_key, server_url=server.url, timeout_ms=120_000)

        if "scifact" in sets:
            data = load_scifact(args.limit_docs)
            print(f"SciFact test: {len(data.corpus)} documents, {len(data.queries)} queries")
            libraries = [ingest(new_client, data.corpus, size) for size in sizes]
            with server.http() as http:
                for ingested in libraries:
                    report(http, ingested, data, args.tune)
        if "bilingual" in sets:
            run_bilingual(new_client, server, args.bilingual_pages)
    print(f"load average at end: {os.getloadavg()}")


def run_bilingual(new_client: Any, server: EtagereServer, pages: int) -> None:
    """The French/English manual pages (``bench/bilingual.py``): both languages in one library,
    each query language apart; then the French pages alone, asked in French and in English
    (the relevant page: the command's French one)."""
    data = load_bilingual(pages)
    print(f"\nbilingual: {len(data.corpus)} documents (fr + en), {len(data.queries)} queries")
    both = ingest(new_client, data.corpus, None, "manpages fr+en")
    french = {name: text for name, text in data.corpus.items() if name.endswith(".fr")}
    french_only = ingest(new_client, french, None, "manpages fr")
    asked = {
        "fr queries, fr+en documents": (both, "fr", "fr"),
        "en queries, fr+en documents": (both, "en", "en"),
        "fr queries, fr documents": (french_only, "fr", "fr"),
        "en queries, fr documents (across languages)": (french_only, "en", "fr"),
    }
    with server.http() as http:
        for ingested in (both, french_only):
            http.post(f"/v1/libraries/{ingested.library_id}/search", json={"query": "warm up"})
        for title, (ingested, language, target) in asked.items():
            part = Judged(
                {q: text for q, (lang, text) in data.queries.items() if lang == language},
                {
                    q: {name.rsplit(".", 1)[0] + "." + target for name in data.qrels[q]}
                    for q, (lang, _) in data.queries.items()
                    if lang == language
                },
            )
            print(f"\nbilingual, {title} ({len(part.queries)} queries)")
            results = [evaluate(http, ingested, part, label, m) for label, m in MODES.items()]
            print_table(results, with_published=False)


def report(http: httpx.Client, ingested: Ingested, data: SciFact, tune: bool) -> None:
    http.post(f"/v1/libraries/{ingested.library_id}/search", json={"query": "warm up"})
    print(f"\n{ingested.label}")
    if ingested.seconds is not None:
        rate = ingested.uploaded / ingested.seconds
        print(
            f"ingested {ingested.uploaded} documents in {ingested.seconds:.0f} s: {rate:.1f} docs/s"
        )
    else:
        print("reused an earlier ingestion (--keep)")
    modes = {**MODES, **(TUNING if tune else {})}
    results = [evaluate(http, ingested, data, label, mode) for label, mode in modes.items()]
    print_table(results, with_published=True)
    failed = [f"{name} ({why})" for name, why in FAILURES.items()]
    if failed:
        print(f"{len(failed)} document(s) failed to process and are not searchable: {failed}")


def main() -> None:
    args = parse_args()
    if args.keep is not None:
        run(args.keep.resolve(), args)
        return
    with tempfile.TemporaryDirectory(prefix="etagere-quality-") as tmp:
        run(Path(tmp), args)


if __name__ == "__main__":
    main()
