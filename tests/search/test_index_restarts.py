"""Persisted search indexes under real processes: kill -9, readiness, processes sharing them.

Real ``etagere serve`` and ``etagere worker`` processes on one SQLite data directory, driven
by the official SDK and plain HTTP. Generations are written every fraction of a second here
(``ETAGERE_INDEX_CHECKPOINT_SECONDS``) so that kills land in the middle of writing them.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mistralai.client import Mistral

from tests.conftest import client_for
from tests.support.servers import EtagereServer, StoreLocation, _env

pytestmark = pytest.mark.timeout(900)

FAST_GENERATIONS = {"ETAGERE_INDEX_CHECKPOINT_SECONDS": "0.2"}


def marker(index: int) -> str:
    """A word found in exactly one document, so a search for it names that document."""
    return "zq" + "".join(chr(ord("a") + int(d)) for d in f"{index:04d}") + "x"


def text_of(index: int) -> str:
    return f"Note {index} about shared indexes. Its identifier is {marker(index)}.\n"


def upload(sdk: Mistral, library_id: str, index: int) -> str:
    document = sdk.beta.libraries.documents.upload(
        library_id=library_id,
        file={"file_name": f"note-{index}.txt", "content": text_of(index).encode()},
    )
    return str(document.id)


def wait_ready(server: EtagereServer, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"never ready:\n{server.log_tail()}")


def statuses(http: httpx.Client, library_id: str, ids: list[str]) -> dict[str, str]:
    found = {}
    for document_id in ids:
        answer = http.get(f"/v1/libraries/{library_id}/documents/{document_id}/status")
        found[document_id] = answer.json()["process_status"] if answer.status_code == 200 else ""
    return found


def wait_processed(http: httpx.Client, library_id: str, ids: list[str]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if all(s in ("done", "error") for s in statuses(http, library_id, ids).values()):
            return
        time.sleep(0.3)
    raise AssertionError(f"not processed: {statuses(http, library_id, ids)}")


def hits_for(http: httpx.Client, library_id: str, query: str) -> list[tuple[str, str]]:
    answer = http.post(f"/v1/libraries/{library_id}/search", json={"query": query, "top_k": 10})
    assert answer.status_code == 200, answer.text
    return [(h["chunk"]["source_id"], h["chunk"]["id"]) for h in answer.json()["hits"]]


def test_kill_9_while_writing_indexes_loses_no_document(tmp_path: Path) -> None:
    store = StoreLocation(data_dir=tmp_path / "data")
    server = EtagereServer(store=store)
    env = {**FAST_GENERATIONS, "ETAGERE_WORKERS": "1"}
    server.start(extra_env=env)
    wait_ready(server)
    sdk = client_for(server, server.api_key)
    library_id = str(sdk.beta.libraries.create(name="crash").id)
    alive: dict[int, str] = {}
    deleted: dict[int, str] = {}
    rng = random.Random(16)
    next_index = 0
    try:
        for _round in range(4):
            http = server.http()
            for _ in range(6):
                alive[next_index] = upload(sdk, library_id, next_index)
                next_index += 1
            for index in rng.sample(sorted(alive), 2):
                answer = http.delete(f"/v1/libraries/{library_id}/documents/{alive[index]}")
                assert answer.status_code in (200, 204), answer.text
                deleted[index] = alive.pop(index)
            # Let processing and generation writes run, then kill at a random moment.
            time.sleep(rng.uniform(0.2, 2.5))
            assert server.process is not None
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
            server.process = None
            http.close()
            server.start(extra_env=env)
            wait_ready(server)
            http = server.http()
            wait_processed(http, library_id, list(alive.values()))
            done = {i: d for i, d in alive.items() if statuses(http, library_id, [d])[d] == "done"}
            assert len(done) == len(alive), "plain text notes all process"
            for index, document_id in done.items():
                found = {source for source, _ in hits_for(http, library_id, marker(index))}
                assert document_id in found, f"done document {index} not found after kill -9"
            for index, document_id in deleted.items():
                found = {source for source, _ in hits_for(http, library_id, marker(index))}
                assert document_id not in found, f"deleted document {index} found"
            http.close()
        generations = list((store.data_dir / "search-index").glob("gen-*"))
        assert generations, "generations were written along the way"
    finally:
        server.stop()


def test_not_ready_until_searches_can_be_answered(tmp_path: Path) -> None:
    """While no generation can be built (another process holds the writer lock and publishes
    none), /readyz says 503 and a search is answered 503 with Retry-After, at once."""
    store = StoreLocation(data_dir=tmp_path / "data")
    root = store.data_dir / "search-index"
    root.mkdir(parents=True)
    lock = os.open(root / "writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    server = EtagereServer(store=store)
    try:
        server.start()
        ready = httpx.get(f"{server.url}/readyz", timeout=5)
        assert ready.status_code == 503
        assert ready.json()["checks"]["search"] == "loading"
        with server.http() as http:
            library_id = http.post("/v1/libraries", json={"name": "early"}).json()["id"]
            started = time.monotonic()
            early = http.post(f"/v1/libraries/{library_id}/search", json={"query": "anything"})
            assert time.monotonic() - started < 30, "a search before readiness is not held"
            assert early.status_code == 503, early.text
            assert int(early.headers["Retry-After"]) > 0
            assert early.json()["code"] == "unavailable"
            fcntl.flock(lock, fcntl.LOCK_UN)  # the other process goes away
            wait_ready(server)
            answer = http.post(f"/v1/libraries/{library_id}/search", json={"query": "anything"})
            assert answer.status_code == 200, answer.text
    finally:
        os.close(lock)
        server.stop()


def start_worker(store: StoreLocation, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "etagere", "worker", *store.flags()]
    with log.open("ab") as handle:
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=_env())


def test_two_apis_and_a_worker_on_one_data_directory_agree(tmp_path: Path) -> None:
    store = StoreLocation(data_dir=tmp_path / "data")
    env = {**FAST_GENERATIONS, "ETAGERE_WORKERS": "0"}
    first = EtagereServer(store=store).start(extra_env=env)
    second = EtagereServer(store=store, api_key=first.api_key).start(extra_env=env)
    worker = start_worker(store, tmp_path / "worker.log")
    servers = [first, second]
    try:
        for server in servers:
            wait_ready(server)
        sdk = client_for(first, first.api_key)
        library_id = str(sdk.beta.libraries.create(name="shared").id)
        https = [server.http() for server in servers]
        alive: dict[int, str] = {}
        rng = random.Random(17)
        for round_ in range(6):
            batch = {i: upload(sdk, library_id, i) for i in range(round_ * 5, round_ * 5 + 5)}
            alive.update(batch)
            if round_ > 0:
                for index in rng.sample(sorted(alive), 2):
                    https[round_ % 2].delete(f"/v1/libraries/{library_id}/documents/{alive[index]}")
                    alive.pop(index)
            wait_processed(https[0], library_id, list(alive.values()))
            for query in ["shared indexes", "note identifier", *(marker(i) for i in alive)]:
                assert_agree(https, library_id, query)
            for index, document_id in alive.items():
                found = {source for source, _ in hits_for(https[1], library_id, marker(index))}
                assert document_id in found
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        for server in servers:
            server.stop()


def assert_agree(https: list[httpx.Client], library_id: str, query: str) -> None:
    """Both processes answer the same hits in the same order.

    Scores depend on which generation a process searches beneath its own changes, and a new
    one can be published between two requests: a disagreement counts only if the first
    process answers the same twice around the second's answer.
    """
    for _attempt in range(5):
        before = hits_for(https[0], library_id, query)
        other = hits_for(https[1], library_id, query)
        after = hits_for(https[0], library_id, query)
        if before == after:
            assert other == before, f"{query!r}: {other} != {before}"
            return
    raise AssertionError(f"{query!r}: the first process never answered the same twice")
