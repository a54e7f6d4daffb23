"""One long document does not hold the queue: small uploads pass it, and a crash loses nothing.

The long document is a generated 400-page PDF: 400 chunks, so embedding it takes far longer
than a one-line note, whatever the machine. With the single default worker, the note
used to wait for the whole PDF.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from mistralai.client import Mistral

from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import embedding_cache, jobs
from tests.conftest import ServerFactory, client_for
from tests.extraction.extraction_fixtures import lined_pdf
from tests.support.documents import upload, upload_bytes, wait_settled, wait_status
from tests.support.servers import EtagereServer, StoreLocation, _env

LONG_PAGES = 400
LINES_PER_PAGE = 10
LEASE_SECONDS = 5

pytestmark = pytest.mark.timeout(900)


def long_pdf(tmp_path: Path) -> Path:
    return lined_pdf(tmp_path / "long.pdf", LONG_PAGES, LINES_PER_PAGE)


def test_small_upload_is_searchable_while_a_long_document_is_processed(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server()  # the default: one processing worker
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="fair")
    long = upload(sdk, library.id, long_pdf(tmp_path))
    wait_status(sdk, library.id, long.id, "in_progress")
    note = upload_bytes(sdk, library.id, "note.txt", b"The heron colony nests by the weir.\n")

    settled = wait_settled(sdk, library.id, note.id, timeout=300)

    assert settled.process_status == "done", settled.processing_status
    still = sdk.beta.libraries.documents.get(library_id=library.id, document_id=long.id)
    assert still.process_status == "in_progress", "the note waited for the long document"
    assert note.id in search_sources(server, library.id, "heron colony weir")
    finished = wait_settled(sdk, library.id, long.id, timeout=800)
    assert finished.process_status == "done", finished.processing_status
    assert_complete(sdk, library.id, long.id)


def test_worker_killed_mid_long_document_resumes_from_committed_vectors(
    store: StoreLocation, start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(workers=0)
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="crash")
    db = Database(store.database_url or f"sqlite:///{store.data_dir / 'etagere.db'}")
    first = start_worker(store, tmp_path / "worker-a.log")
    try:
        long = upload(sdk, library.id, long_pdf(tmp_path))
        cached_before_kill = wait_for_cached_vectors(db, first)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert (
            sdk.beta.libraries.documents.get(
                library_id=library.id, document_id=long.id
            ).process_status
            == "in_progress"
        ), "the killed worker did not get to finish"
        second = start_worker(store, tmp_path / "worker-b.log")
        try:
            finished = wait_settled(sdk, library.id, long.id, timeout=800)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=60)
        with db.read() as conn:
            state, attempts = conn.execute(sa.select(jobs.c.state, jobs.c.attempts)).one()
    finally:
        if first.poll() is None:
            first.kill()
        db.close()
    assert cached_before_kill > 0, "vectors of the first slices were committed before the kill"
    assert finished.process_status == "done", finished.processing_status
    assert (state, attempts) == ("done", 2), "claimed twice, finished once"
    assert_complete(sdk, library.id, long.id)


def start_worker(store: StoreLocation, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "etagere", "worker", *store.flags()]
    env = _env({"ETAGERE_JOB_LEASE_SECONDS": str(LEASE_SECONDS)})
    with log.open("ab") as handle:
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env)


def wait_for_cached_vectors(db: Database, worker: subprocess.Popen[bytes]) -> int:
    """Wait until the worker has committed a first slice of vectors; return how many."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited"
        with db.read() as conn:
            count = int(
                conn.execute(sa.select(sa.func.count()).select_from(embedding_cache)).one()[0]
            )
        if count:
            return count
        time.sleep(0.2)
    raise AssertionError("no vector was committed while the long document was embedded")


def search_sources(server: EtagereServer, library_id: str, query: str) -> set[str]:
    with server.http() as http:
        response = http.post(f"/v1/libraries/{library_id}/search", json={"query": query})
    assert response.status_code == 200, response.text
    return {hit["chunk"]["source_id"] for hit in response.json()["hits"]}


def assert_complete(sdk: Mistral, library_id: str, document_id: str) -> None:
    """Every page of the long document made it, the last one included."""
    document = sdk.beta.libraries.documents.get(library_id=library_id, document_id=document_id)
    assert document.number_of_pages == LONG_PAGES
    last = sdk.beta.libraries.documents.text_content(
        library_id=library_id, document_id=document_id, page_start=LONG_PAGES, page_end=LONG_PAGES
    ).text
    assert f"Page {LONG_PAGES}, line {LINES_PER_PAGE - 1}" in last
