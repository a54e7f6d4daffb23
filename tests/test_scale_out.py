"""Many processes on one PostgreSQL and one S3 store: nothing lost, nothing done twice.

Two ``etagere serve`` and two ``etagere worker`` processes share a real PostgreSQL (pgvector)
and a real SeaweedFS bucket, each with its own empty data directory, so any state that one
process kept on its local disk and another needed would show up as a failure. Documents are
uploaded through both APIs at once while a client keeps searching, and one worker is killed
with SIGKILL in the middle of a job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from mistralai.client import Mistral

from tests.conftest import client_for
from tests.support import postgres
from tests.support.seaweedfs import S3Endpoint
from tests.support.servers import EtagereServer, StoreLocation, _env

pytestmark = pytest.mark.timeout(900)

DOCUMENTS = 200
LEASE_SECONDS = 5
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")


def marker(index: int) -> str:
    """A word found in exactly one document, so a search for it names that document."""
    return "zq" + "".join(chr(ord("a") + int(d)) for d in f"{index:04d}") + "x"


def text_of(index: int) -> str:
    filler = " ".join(WORDS[(index + i) % len(WORDS)] for i in range(180))
    return f"Report {index}.\n\nThe identifier of this report is {marker(index)}.\n\n{filler}\n"


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    url = postgres.create_database(postgres_url)
    yield url
    postgres.drop_database(postgres_url, url)


def start_worker(store: StoreLocation, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "etagere", "worker", *store.flags()]
    with log.open("ab") as handle:
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=_env(env))


def processed_lines(log: Path) -> list[dict[str, object]]:
    """The worker's structured ``document processed`` log records."""
    records = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("msg") == "document processed":
                records.append(record)
    return records


def job_held_by(database_url: str, pid: int) -> str | None:
    """A document whose job the worker process ``pid`` holds a live lease on right now."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT document_id FROM jobs WHERE state = 'running' AND lease_owner LIKE %s "
            "AND lease_expires_at > now() LIMIT 1",
            (f"%:{pid}:%",),
        ).fetchone()
    return str(row[0]) if row else None


def test_two_apis_and_two_workers_share_postgres_and_s3(
    database_url: str, s3_endpoint: S3Endpoint, s3_bucket: str, tmp_path: Path
) -> None:
    env = {
        "ETAGERE_BLOB_STORE": "s3",
        "ETAGERE_S3_ENDPOINT_URL": s3_endpoint.url,
        "ETAGERE_S3_BUCKET": s3_bucket,
        "ETAGERE_S3_ACCESS_KEY_ID": s3_endpoint.access_key,
        "ETAGERE_S3_SECRET_ACCESS_KEY": s3_endpoint.secret_key,
        "ETAGERE_WORKERS": "0",
        "ETAGERE_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }

    def store(name: str) -> StoreLocation:
        return StoreLocation(data_dir=tmp_path / name, database_url=database_url)

    # Both APIs start at once: migrations and the first-start bootstrap must not race.
    apis = [EtagereServer(store=store("api-a")), EtagereServer(store=store("api-b"))]
    apis[1].api_key = apis[0].api_key
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda api: api.start(extra_env=env), apis))
    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    workers = [start_worker(store(f"worker-{i}"), env, logs[i]) for i in range(2)]
    try:
        run_and_check(apis, workers, logs, database_url)
        # The files are in the bucket, not on any process's local disk.
        listing = s3_endpoint.client().list_objects_v2(Bucket=s3_bucket)
        assert listing["KeyCount"] == DOCUMENTS
        assert not list(tmp_path.glob("*/blobs/??/??/*"))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        for api in apis:
            api.stop()


def run_and_check(
    apis: list[EtagereServer],
    workers: list[subprocess.Popen[bytes]],
    logs: list[Path],
    database_url: str,
) -> None:
    sdks = [client_for(api, api.api_key) for api in apis]
    library = sdks[0].beta.libraries.create(name="shared by every process")
    ids: dict[int, str] = {}
    uploads_done = threading.Event()

    def upload(index: int) -> None:
        sdk = sdks[index % 2]  # half through each API
        document = sdk.beta.libraries.documents.upload(
            library_id=library.id,
            file={"file_name": f"report-{index}.txt", "content": text_of(index).encode()},
        )
        ids[index] = document.id

    # A client searches all along; a hit must name a document that is done at that moment.
    violations: list[str] = []
    searched: list[int] = []

    def search_all_along() -> None:
        https = [api.http() for api in apis]
        round_ = 0
        while not (uploads_done.is_set() and len(searched) >= 40 and all_done.is_set()):
            round_ += 1
            known = list(ids.items())
            if not known:
                time.sleep(0.05)
                continue
            index, _ = known[round_ % len(known)]
            http = https[round_ % 2]
            answer = http.post(
                f"/v1/libraries/{library.id}/search", json={"query": marker(index), "top_k": 5}
            )
            assert answer.status_code == 200, answer.text
            for hit in answer.json()["hits"]:
                document_id = hit["chunk"]["source_id"]
                status = http.get(f"/v1/libraries/{library.id}/documents/{document_id}/status")
                if status.json()["process_status"] != "done":
                    violations.append(f"{document_id}: {status.json()}")
            searched.append(index)
        for http in https:
            http.close()

    all_done = threading.Event()
    searcher = threading.Thread(target=search_all_along, daemon=True)
    searcher.start()

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(upload, index) for index in range(DOCUMENTS)]
        killed = kill_mid_job(workers[0], database_url, logs[0])
        for future in futures:
            future.result()
    uploads_done.set()

    wait_all_done(sdks[1], library.id)
    all_done.set()
    searcher.join(timeout=120)
    assert not searcher.is_alive(), "the searching client never finished"

    # Every document ended done (wait_all_done), processed exactly once.
    assert len(ids) == DOCUMENTS
    processed = Counter(
        str(record["document_id"]) for log in logs for record in processed_lines(log)
    )
    assert max(processed.values()) == 1, "a document was processed twice"
    assert processed[killed] <= 1
    assert set(ids.values()) - {killed} <= set(processed), "documents processed by nobody"
    with psycopg.connect(database_url) as conn:
        duplicates = conn.execute(
            "SELECT document_id FROM chunks GROUP BY document_id, ordinal HAVING count(*) > 1"
        ).fetchall()
        retried = conn.execute(
            "SELECT attempts, state FROM jobs WHERE document_id = %s", (killed,)
        ).fetchone()
    assert duplicates == []
    assert retried is not None and retried[0] >= 2, "the killed worker's job was not retried"

    # Searches during the run only ever saw committed documents; afterwards every API finds
    # every document (the indexes live in PostgreSQL, not in one process).
    assert violations == []
    assert len(searched) >= 40
    for index in range(0, DOCUMENTS, 10):
        for api in apis:
            with api.http() as http:
                hits = http.post(
                    f"/v1/libraries/{library.id}/search", json={"query": marker(index)}
                ).json()["hits"]
            assert hits and hits[0]["chunk"]["source_id"] == ids[index]
            assert marker(index) in hits[0]["chunk"]["content"]

    # The surviving worker stops cleanly on SIGTERM.
    workers[1].send_signal(signal.SIGTERM)
    assert workers[1].wait(timeout=60) == 0


def kill_mid_job(worker: subprocess.Popen[bytes], database_url: str, log: Path) -> str:
    """SIGKILL ``worker`` once it has done some documents and holds a lease; the document."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if log.exists() and len(processed_lines(log)) >= 10:
            document_id = job_held_by(database_url, worker.pid)
            if document_id is not None:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
                return document_id
        time.sleep(0.01)
    raise AssertionError("the worker never took a job")


def wait_all_done(sdk: Mistral, library_id: str) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        statuses: Counter[str] = Counter()
        page = 0
        while True:
            listing = sdk.beta.libraries.documents.list(
                library_id=library_id, page_size=100, page=page
            )
            statuses.update(d.process_status for d in listing.data)
            if len(listing.data) < 100:
                break
            page += 1
        if statuses == {"done": DOCUMENTS}:
            return
        time.sleep(1)
    raise AssertionError(f"documents were not all processed in time: {dict(statuses)}")
