"""How long a real ``etagere serve`` takes to answer a hybrid search after a start or restart.

Run from the repository root: ``python bench/restart.py --chunks 20000``. Fills a fresh data
directory's SQLite database with ``--chunks`` chunks (documents of 10 chunks; SciFact-like text
made of random words, random unit vectors: no embedding, so the fill is cheap), then starts
``etagere serve`` three times and times, from the spawn, the first ``200`` answer to a hybrid
search over HTTP (query embedding included): the first start (builds the index generation from
the database, what every start cost before indexes were persisted), a restart (opens it), and a
second API process on the same data directory while the first runs. Prints the RSS and private
memory of each process after answering.
"""

from __future__ import annotations

import argparse
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


def timed_start(data_dir: Path, key: str, library_id: str, port: int) -> subprocess.Popen[bytes]:
    started = time.perf_counter()
    process = start(data_dir, key, port)
    seconds = first_answer(port, key, library_id, started)
    rss, private = memory(process.pid)
    print(f"  answered after {seconds:.1f} s; RSS {rss:.0f} MB, private {private:.0f} MB")
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=20_000)
    args = parser.parse_args()
    key = "etg_bench_" + secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="etagere-bench-restart-") as scratch:
        data_dir = Path(scratch)
        filled = time.perf_counter()
        library_id = fill(data_dir, args.chunks, key)
        took = time.perf_counter() - filled
        print(
            f"bench/restart: {args.chunks:,} chunks stored in {took:.0f} s; "
            f"load average {os.getloadavg()[0]:.2f} (shared machine)"
        )
        print("first start (builds the index generation from the database):")
        process = timed_start(data_dir, key, library_id, 18_601)
        process.send_signal(signal.SIGKILL)
        process.wait()
        print("restart after kill -9 (opens the generation):")
        process = timed_start(data_dir, key, library_id, 18_602)
        print("a second API process on the same data directory:")
        second = timed_start(data_dir, key, library_id, 18_603)
        for running in (process, second):
            running.terminate()
            running.wait()
        print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
