"""Nothing is lost: a worker killed mid-job, concurrent uploads and deletes, exact counters."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import jobs
from tests.conftest import ServerFactory, client_for
from tests.support.documents import upload, upload_bytes, wait_settled, wait_status
from tests.support.servers import StoreLocation, _env

LEASE_SECONDS = 5


def start_worker(store: StoreLocation, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "etagere", "worker", *store.flags()]
    env = _env({"ETAGERE_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "ETAGERE_LOG_LEVEL": "debug"})
    with log.open("ab") as handle:
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env)


def test_worker_killed_mid_job_leaves_the_job_to_another_worker(
    store: StoreLocation, start_server: ServerFactory, samples: Path, tmp_path: Path
) -> None:
    server = start_server(workers=0)
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="durable")
    scan = samples / "scanned_report.pdf"
    first = start_worker(store, tmp_path / "worker-a.log")
    try:
        doc = upload(sdk, library.id, scan)  # 3 scanned pages: seconds of OCR
        wait_status(sdk, library.id, doc.id, "in_progress")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = time.monotonic()
    assert (
        sdk.beta.libraries.documents.get(library_id=library.id, document_id=doc.id).process_status
        == "in_progress"
    ), "the killed worker did not get to finish"
    second = start_worker(store, tmp_path / "worker-b.log")
    try:
        done = wait_settled(sdk, library.id, doc.id, timeout=180)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert time.monotonic() - killed_at >= LEASE_SECONDS - 1, "retried only after the lease"
    assert done.process_status == "done", done.processing_status
    text = sdk.beta.libraries.documents.text_content(library_id=library.id, document_id=doc.id)
    assert "SPECIMEN" in text.text.upper() or "PATIENT" in text.text.upper()
    url = store.database_url or f"sqlite:///{store.data_dir / 'etagere.db'}"
    db = Database(url)
    try:
        with db.read() as conn:
            state, attempts = conn.execute(sa.select(jobs.c.state, jobs.c.attempts)).one()
    finally:
        db.close()
    assert (state, attempts) == ("done", 2), "claimed twice, finished once"
    assert second.returncode == 0, "SIGTERM stops a worker cleanly"


def test_counters_stay_exact_under_concurrent_uploads_and_deletes(
    start_server: ServerFactory,
) -> None:
    server = start_server(workers=1)
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="busy")
    payloads = [f"document number {i}\n".encode() * (i + 1) for i in range(24)]

    def add(i: int) -> tuple[str, int]:
        doc = upload_bytes(sdk, library.id, f"doc-{i}.txt", payloads[i])
        return doc.id, doc.size or 0

    with ThreadPoolExecutor(8) as pool:
        added = list(pool.map(add, range(24)))
        doomed = [doc_id for doc_id, _ in added[::2]]
        list(
            pool.map(
                lambda d: sdk.beta.libraries.documents.delete(library_id=library.id, document_id=d),
                doomed,
            )
        )
        duplicates = list(pool.map(add, range(1, 24, 2)))
    assert {d for d, _ in duplicates} == {d for d, _ in added[1::2]}, "re-uploads deduplicate"
    listed = sdk.beta.libraries.documents.list(library_id=library.id).data
    lib = sdk.beta.libraries.get(library_id=library.id)
    assert lib.nb_documents == len(listed) == 12
    assert lib.total_size == sum(d.size or 0 for d in listed) == sum(s for _, s in added[1::2])
