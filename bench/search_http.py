"""What a client sees: hybrid search through HTTP, and where the time goes besides the index.

Run from the repository root: ``python bench/search_http.py [--chunks 100000] [--keep DIR]``
(``--keep`` fills DIR once and reuses it on later runs).

A library of ``--chunks`` chunks (100 per document; the data of ``bench/search.py``: SciFact
passages recycled, their real MiniLM embeddings plus noise, and SciFact claims as queries, so
that BM25 and HNSW work as hard as on real text) is written straight into a fresh data
directory, then a real ``etagere serve`` answers ``POST /v1/libraries/{id}/search`` with the
default hybrid retriever. Rows, medians over the same queries:

- **HTTP, new queries**: every query text seen for the first time (the model embeds it);
- **HTTP, repeated queries**: the same texts again (the query-vector cache answers);
- in this process, over the same store (once the server has persisted its index generation
  and been restarted on it, so that no background write competes), the parts of one search:
  the query embedding, the in-process index (BM25 + HNSW + score fusion), the whole domain
  search (access check, scope, index, reading the hits back from the database), and the
  response model plus JSON serialisation.
  What HTTP adds beyond those (parsing, authentication, the thread hop) is the difference.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/search_http.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from search_data import (  # noqa: E402
    Corpus,
    clustered_vectors,
    passage_vectors,
    scifact_claims,
    scifact_passages,
)
from tests.support.servers import EtagereServer, StoreLocation  # noqa: E402

from etagere.core.chunks import EmbeddedChunk, Scope  # noqa: E402
from etagere.core.model import ProcessStatus  # noqa: E402
from etagere.domain.search import hybrid  # noqa: E402
from etagere.http.wire.search import SearchOut  # noqa: E402
from etagere.runtime import Runtime  # noqa: E402
from etagere.search.embedding import LocalOnnxEmbedder  # noqa: E402
from etagere.search.fusion import convex_fusion  # noqa: E402
from etagere.settings import Settings  # noqa: E402
from etagere.storage.metadata import chunks as chunk_store  # noqa: E402
from etagere.storage.metadata import documents as document_store  # noqa: E402

PER_DOCUMENT = 100
QUERIES = 200
TOP_K = 10


def fill(server: EtagereServer, data_dir: Path, chunks: int) -> str:
    """A library of ``chunks`` chunks: documents uploaded (no worker), chunks written directly."""
    with server.http() as http:
        library = http.post("/v1/libraries", json={"name": "latency"}).json()["id"]
        ids = []
        for number in range(chunks // PER_DOCUMENT):
            files = {"file": (f"doc-{number}.txt", f"document {number}".encode(), "text/plain")}
            ids.append(http.post(f"/v1/libraries/{library}/documents", files=files).json()["id"])
    server.stop()
    runtime = Runtime.open(Settings(data_dir=data_dir))
    services = runtime.services
    model, dimension = services.embedder.model_name, services.embedder.dimension
    passages = scifact_passages()
    corpus = Corpus(
        passages, clustered_vectors(passage_vectors(LocalOnnxEmbedder(), passages), chunks)
    )
    with services.db.write() as conn:
        for number, document_id in enumerate(map(uuid.UUID, ids)):
            first = number * PER_DOCUMENT
            batch = [
                EmbeddedChunk(
                    uuid.uuid4(),
                    i,
                    (body := corpus.text(first + i)),
                    0,
                    len(body),
                    (1,),
                    (),
                    f"{document_id}-{i}",
                    corpus.vectors[first + i],
                )
                for i in range(PER_DOCUMENT)
            ]
            services.search_backend.store_chunks(
                conn, uuid.UUID(library), document_id, model, batch
            )
            document_store.update_document(
                conn, document_id, {"process_status": ProcessStatus.DONE}
            )
        chunk_store.set_library_model(conn, uuid.UUID(library), model, dimension)
    runtime.stop()
    return library


def queries(count: int, offset: int) -> list[str]:
    """SciFact claims: ``count`` of them, after the first ``offset``."""
    return scifact_claims(offset + count)[offset:]


def http_median(server: EtagereServer, library: str, texts: list[str]) -> float:
    timings = []
    with server.http() as http:
        http.timeout = httpx.Timeout(1800)  # the first search waits for the index to load
        for text in texts:
            started = time.perf_counter()
            response = http.post(
                f"/v1/libraries/{library}/search", json={"query": text, "top_k": TOP_K}
            )
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return statistics.median(timings) * 1000


def median_ms(action: Callable[[str], object], texts: list[str]) -> float:
    timings = []
    for text in texts:
        started = time.perf_counter()
        action(text)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def parts(data_dir: Path, api_key: str, library: str, texts: list[str]) -> dict[str, float]:
    """Medians of each part of a search, run in this process over the same store."""
    # The query-vector cache stays on: the searches below are timed after ``found`` has
    # embedded every text once, so the domain search's own cost excludes the model.
    runtime = Runtime.open(Settings(data_dir=data_dir))
    services = runtime.services
    caller = services.identity.authenticate(api_key)
    library_id = uuid.UUID(library)
    scope = Scope((library_id,))
    backend, embedder = services.search_backend, services.embedder
    vectors = {t: embedder.embed_query(t) for t in texts}
    depth = max(50, TOP_K * 5)

    def index(text: str) -> object:
        with services.db.read() as conn:
            rankings = [
                backend.keyword(conn, scope, text, depth),
                backend.nearest(conn, scope, vectors[text], depth),
            ]
        return convex_fusion(rankings)[:TOP_K]

    def serialise(text: str) -> object:
        hits = found[text]
        return json.dumps(SearchOut.of(hits).model_dump(mode="json"))

    index(texts[0])  # the first query loads the in-process index
    found = {t: services.search.search(caller, [library_id], hybrid(t, TOP_K, None)) for t in texts}
    result = {
        "query embedding (model)": median_ms(embedder.embed_query, texts),
        "index: BM25 + HNSW + fusion": median_ms(index, texts),
        "domain search without embedding (access, index, hits read back)": median_ms(
            lambda t: services.search.search(caller, [library_id], hybrid(t, TOP_K, None)), texts
        ),
        "authentication (API key)": median_ms(
            lambda _t: services.identity.authenticate(api_key), texts
        ),
        "response model + JSON": median_ms(serialise, texts),
    }
    runtime.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="data directory to fill once and reuse")
    args = parser.parse_args()
    print(f"load average at start {os.getloadavg()}")
    with contextlib.ExitStack() as stack:
        if args.keep is None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="etagere-bench-http-"))
            data_dir = Path(tmp) / "data"
        else:
            data_dir = args.keep
        server, library = filled(data_dir, args.chunks)
        server.start(extra_env={"ETAGERE_WORKERS": "0", "ETAGERE_LOG_LEVEL": "warning"})
        try:
            wait_ready(server)
            # Measure the steady state: a server that opened a persisted generation, with no
            # background write competing for the cores (and the in-process parts over the same).
            wait_generation(data_dir)
            server.stop()
            server.start(extra_env={"ETAGERE_WORKERS": "0", "ETAGERE_LOG_LEVEL": "warning"})
            wait_ready(server)
            print(f"{args.chunks:,} chunks written; generation persisted", flush=True)
            texts = queries(QUERIES, 0)
            http_median(server, library, queries(20, QUERIES))  # warm up: model and index
            new = http_median(server, library, texts)
            repeated = http_median(server, library, texts)
            steps = parts(data_dir, server.api_key, library, texts)
        finally:
            server.stop()
    print(
        f"hybrid search through HTTP, {args.chunks:,} chunks, top {TOP_K}, {QUERIES} queries, p50"
    )
    rows = [
        ("HTTP, new queries (embedding included)", new),
        ("HTTP, repeated queries (cache hit)", repeated),
    ]
    rows += [(f"  in process: {name}", value) for name, value in steps.items()]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value:7.2f} ms")
    rest = repeated - steps["domain search without embedding (access, index, hits read back)"]
    rest -= steps["response model + JSON"] + steps["authentication (API key)"]
    print(f"{'  HTTP handling (the rest of a repeated query)'.ljust(width)}  {rest:7.2f} ms")
    print(f"load average at the end {os.getloadavg()}")


def filled(data_dir: Path, chunks: int) -> tuple[EtagereServer, str]:
    """A stopped server over ``data_dir`` holding a library of ``chunks`` chunks, filled now
    unless an earlier run with the same ``--keep`` directory left one."""
    state = data_dir / "bench-http.json"
    if state.exists():
        key, library, stored = json.loads(state.read_text())
        if stored != chunks:
            raise SystemExit(f"{data_dir} holds {stored:,} chunks, not {chunks:,}")
        print(f"reusing {data_dir} (filled earlier)", flush=True)
        return EtagereServer(store=StoreLocation(data_dir=data_dir), api_key=key), library
    server = EtagereServer(store=StoreLocation(data_dir=data_dir))
    server.start(extra_env={"ETAGERE_WORKERS": "0", "ETAGERE_LOG_LEVEL": "warning"})
    library = fill(server, data_dir, chunks)
    # The server persisted a generation before the chunks were written behind its back: drop
    # it, so the next start builds one that holds them all (else every chunk would be served
    # from the in-memory overlay of changes since, which is not the steady state).
    shutil.rmtree(data_dir / "search-index", ignore_errors=True)
    state.write_text(json.dumps([server.api_key, library, chunks]))
    return server, library


def wait_ready(server: EtagereServer) -> None:
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200:
            return
        time.sleep(1)
    raise RuntimeError("the server never became ready")


def wait_generation(data_dir: Path) -> None:
    """Until the server has persisted its first index generation (it writes it after start)."""
    deadline = time.monotonic() + 3600
    while not (data_dir / "search-index" / "CURRENT").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the server never persisted an index generation")
        time.sleep(1)


if __name__ == "__main__":
    main()
