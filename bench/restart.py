"""How long a real ``etagere serve`` takes to answer a hybrid search after a start or restart.

Run from the repository root: ``python bench/restart.py --chunks 20000``. Fills a fresh data
directory's SQLite database with ``--chunks`` chunks (documents of 10 chunks; SciFact-like text
made of random words, random unit vectors: no embedding, so the fill is cheap), then starts
``etagere serve`` three times and times, from the spawn, the first ``200`` answer to a hybrid
search over HTTP (query embedding included): the first start (builds the index generation from
the database, what every start cost before indexes were persisted), a restart (opens it), and a
second API process on the same data directory while the first runs. Prints the RSS and private
memory of each process after it has answered ``--queries`` more searches (different random
words each, so that the memory shown is what serving touches, not only what opening maps).
``--keep DIR`` fills DIR once and reuses it on later runs (a 1M-chunk fill takes minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

from etagere.core.chunks import EmbeddedChunk
from etagere.domain.identity import IdentityService
from etagere.domain.libraries import LibraryService
from etagere.search.index.embedded import EmbeddedSearchBackend
from etagere.storage.blobs import LocalBlobStore
from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import documents
from etagere.storage.metadata.types import utcnow

WORDS = [f"{a}{b}{c}" for a in "bcdfgklmnprst" for b in "aeiou" for c in "lmnrst"]


def fill(data_dir: Path, chunks: int, key: str) -> str:
    """A database with ``chunks`` chunks in one library; the library id."""
    db = Database(f"sqlite:///{(data_dir / 'etagere.db').resolve()}")
    db.migrate()
    identity = IdentityService(db)
    identity.bootstrap(key)
    caller = identity.authenticate(key)
    backend = EmbeddedSearchBackend(db)
    library = LibraryService(db, LocalBlobStore(data_dir / "blobs"), backend).create(
        caller, "restart bench"
    )
    library_id = library.library.id
    rng = random.Random(16)
    vectors = np.random.default_rng(16).standard_normal((chunks, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    now = utcnow()
    for start in range(0, chunks, 1000):
        with db.write() as conn:
            for first in range(start, min(start + 1000, chunks), 10):
                document_id = uuid.uuid4()
                conn.execute(
                    documents.insert().values(
                        id=document_id,
                        library_id=library_id,
                        name=f"doc-{first}.txt",
                        size=1,
                        hash=document_id.hex,
                        blob_key="k",
                        process_status="done",
                        processing_status="Completed",
                        uploaded_by_type="User",
                        created_at=now,
                        updated_at=now,
                    )
                )
                batch = []
                for i in range(first, min(first + 10, chunks)):
                    text = " ".join(rng.choices(WORDS, k=150))
                    batch.append(
                        EmbeddedChunk(
                            uuid.uuid4(),
                            i - first,
                            text,
                            0,
                            len(text),
                            (1,),
                            (),
                            str(i),
                            vectors[i],
                        )
                    )
                backend.store_chunks(conn, library_id, document_id, "bench", batch)
    db.close()
    return str(library_id)


def memory(pid: int) -> tuple[float, float]:
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return fields["Rss"], fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)


def start(data_dir: Path, key: str, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETAGERE_")}
    env.update({"ETAGERE_API_KEY": key, "ETAGERE_WORKERS": "0"})
    cmd = [sys.executable, "-m", "etagere", "serve", "--port", str(port), "--data-dir"]
    log = (data_dir / f"serve-{port}.log").open("ab")
    return subprocess.Popen([*cmd, str(data_dir)], stdout=log, stderr=subprocess.STDOUT, env=env)


def first_answer(port: int, key: str, library_id: str, started: float) -> float:
    """Seconds from ``started`` until a hybrid search is answered 200."""
    headers = {"Authorization": f"Bearer {key}"}
    url = f"http://127.0.0.1:{port}/v1/libraries/{library_id}/search"
    while True:
        try:
            answer = httpx.post(url, json={"query": "bakel dimon"}, headers=headers, timeout=60)
            if answer.status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)


def serve_queries(port: int, key: str, library_id: str, count: int) -> float:
    """Answer ``count`` hybrid searches of random words; their median latency (ms)."""
    rng = random.Random(port)
    timings = []
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        url = f"http://127.0.0.1:{port}/v1/libraries/{library_id}/search"
        for _ in range(count):
            started = time.perf_counter()
            answer = http.post(url, json={"query": " ".join(rng.choices(WORDS, k=4))})
            timings.append(time.perf_counter() - started)
            answer.raise_for_status()
    return 1000 * float(np.median(timings)) if timings else float("nan")


def timed_start(
    data_dir: Path, key: str, library_id: str, port: int, queries: int
) -> subprocess.Popen[bytes]:
    started = time.perf_counter()
    process = start(data_dir, key, port)
    seconds = first_answer(port, key, library_id, started)
    p50 = serve_queries(port, key, library_id, queries)
    rss, private = memory(process.pid)
    print(
        f"  answered after {seconds:.1f} s; then {queries} searches (p50 {p50:.1f} ms); "
        f"RSS {rss:.0f} MB, private {private:.0f} MB",
        flush=True,
    )
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200, help="searches before measuring")
    parser.add_argument("--keep", type=Path, help="data directory to fill once and reuse")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.keep is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="etagere-r-")))
        else:
            data_dir = args.keep
            data_dir.mkdir(parents=True, exist_ok=True)
        state = data_dir / "bench-restart.json"
        if state.exists():
            key, library_id = json.loads(state.read_text())
            print(f"bench/restart: reusing {args.keep} (filled earlier)")
        else:
            key = "etg_bench_" + secrets.token_urlsafe(12)
            filled = time.perf_counter()
            library_id = fill(data_dir, args.chunks, key)
            state.write_text(json.dumps([key, library_id]))
            took = time.perf_counter() - filled
            print(f"bench/restart: {args.chunks:,} chunks stored in {took:.0f} s")
        print(f"load average {os.getloadavg()[0]:.2f} at the start (shared machine)", flush=True)
        if not (data_dir / "search-index" / "CURRENT").exists():
            print("first start (builds the index generation from the database):")
            process = timed_start(data_dir, key, library_id, 18_601, args.queries)
            process.send_signal(signal.SIGKILL)
            process.wait()
        print("restart after kill -9 (opens the generation):")
        process = timed_start(data_dir, key, library_id, 18_602, args.queries)
        print("a second API process on the same data directory:")
        second = timed_start(data_dir, key, library_id, 18_603, args.queries)
        for running in (process, second):
            running.terminate()
            running.wait()
        print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
