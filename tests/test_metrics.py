"""``/metrics``: Prometheus counters, histograms and store gauges of real server processes.

The exposition is parsed with the Prometheus client's own parser, never with regexes. Metrics
are recorded just after a response is sent, so assertions on the latest request poll briefly.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from mistralai.client import Mistral
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from etagere.observability import PROCESSING_STEPS, Metrics
from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import chunks
from tests.conftest import ServerFactory, client_for
from tests.support.documents import upload_bytes, wait_settled
from tests.support.servers import EtagereServer, StoreLocation, _env, free_port

NOTE = (
    b"# Observability\n\n"
    b"Counters only go up; a rate over a window turns them into requests per second.\n\n"
    b"## Histograms\n\n"
    b"Histograms count observations in cumulative buckets, so quantiles can be estimated "
    b"across many processes at query time.\n"
)
LIBRARY = "/v1/libraries/{library_id}"
DOCUMENTS = "/v1/libraries/{library_id}/documents"
DOCUMENT = "/v1/libraries/{library_id}/documents/{document_id}"


def parse(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def scrape(url: str) -> list[Sample]:
    """``GET /metrics`` without any API key."""
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def scrape_when(
    url: str, ready: Callable[[list[Sample]], bool], timeout: float = 60
) -> list[Sample]:
    """Scrape until ``ready`` holds (the process may still be starting up)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            samples = scrape(url)
            if ready(samples):
                return samples
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url}/metrics never got ready"
        time.sleep(0.1)


def total(samples: list[Sample], name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels``."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


def chunk_count(store: StoreLocation, library_id: str) -> int:
    db = Database(store.database_url or f"sqlite:///{store.data_dir / 'etagere.db'}")
    try:
        with db.read() as conn:
            query = sa.select(sa.func.count()).where(chunks.c.library_id == UUID(library_id))
            return int(conn.execute(query).scalar_one())
    finally:
        db.close()


def wait_done_counting_polls(sdk: Mistral, library_id: str, document_id: str) -> int:
    """Poll the document until it is done; the number of GETs it took."""
    for polls in range(1, 1000):
        doc = sdk.beta.libraries.documents.get(library_id=library_id, document_id=document_id)
        if doc.process_status in ("done", "error", "missing_content"):
            assert doc.process_status == "done", doc.processing_status
            return polls
        time.sleep(0.2)
    raise AssertionError("the document was never processed")


def log_entries(path: Path) -> list[dict[str, object]]:
    """The JSON log lines of a process's output (other output is skipped)."""
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if isinstance(entry, dict) and "level" in entry:
                entries.append(entry)
    return entries


def test_requests_processing_and_store_are_measured(server: EtagereServer, sdk: Mistral) -> None:
    before = scrape(server.url)
    library = sdk.beta.libraries.create(name="metrics")
    doc = upload_bytes(sdk, library.id, "note.md", NOTE)
    polls = wait_done_counting_polls(sdk, library.id, doc.id)
    lib = sdk.beta.libraries.get(library_id=library.id)
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        assert (
            anonymous.get("/v1/libraries", headers={"x-request-id": "probe-42"}).status_code == 401
        )
        assert anonymous.post("/mcp", json={}).status_code == 401
        assert anonymous.get(f"/v1/libraries/{library.id}/nowhere/at/all").status_code == 404
    after = scrape_when(
        server.url,
        lambda s: (
            total(s, "etagere_http_requests_total", route="unmatched") == 1
            and total(s, "etagere_documents_processed_total", outcome="done") == 1
        ),
    )

    def requests(method: str, route: str, **status: str) -> float:
        name = "etagere_http_requests_total"
        labels = {"method": method, "route": route, **status}
        return total(after, name, **labels) - total(before, name, **labels)

    assert requests("POST", "/v1/libraries", status="201") == 1
    assert requests("POST", DOCUMENTS, status="201") == 1
    assert requests("GET", DOCUMENT, status="200") == polls
    assert requests("GET", LIBRARY, status="200") == 1
    assert requests("GET", "/v1/libraries", status="401") == 1
    assert requests("POST", "/mcp", status="401") == 1
    assert requests("GET", "unmatched", status="404") == 1
    for method, route in [("POST", "/v1/libraries"), ("POST", DOCUMENTS), ("GET", DOCUMENT)]:
        name = "etagere_http_request_duration_seconds_count"
        timed = total(after, name, method=method, route=route) - total(
            before, name, method=method, route=route
        )
        assert timed == requests(method, route), f"one duration per {method} {route}"
    routes = {s.labels["route"] for s in after if "route" in s.labels}
    assert not [r for r in routes if library.id in r or doc.id in r], "templates, not raw paths"

    for step in PROCESSING_STEPS:
        assert total(after, "etagere_processing_step_seconds_count", step=step) >= 1, step
    assert total(after, "etagere_embedder_batch_seconds_count") >= 1
    assert total(after, "etagere_embedder_texts_total") >= 1

    assert lib.nb_documents == 1
    assert total(after, "etagere_library_documents", library_id=library.id) == 1
    chunk_total = chunk_count(server.store, library.id)
    assert chunk_total >= 1
    assert total(after, "etagere_library_chunks", library_id=library.id) == chunk_total
    jobs = {state: total(after, "etagere_jobs", state=state) for state in ("queued", "running")}
    assert jobs == {"queued": 0, "running": 0}
    assert total(after, "etagere_jobs", state="done") == 1
    assert total(after, "etagere_jobs", state="failed") == 0
    assert total(after, "etagere_documents", process_status="done") == 1
    assert total(after, "etagere_metadata_store_up") == 1

    with server.http() as http:
        assert "/metrics" not in http.get("/openapi.json").json()["paths"]
    request_lines = [e for e in log_entries(server.log_path) if e["msg"] == "request"]
    assert all(e.get("request_id") for e in request_lines), "every request line has its id"
    assert any(e["request_id"] == "probe-42" and e["status"] == 401 for e in request_lines)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_metrics_can_be_turned_off(start_server: ServerFactory) -> None:
    server = start_server(metrics="false")
    assert httpx.get(f"{server.url}/metrics", timeout=30).status_code == 404
    assert httpx.get(f"{server.url}/healthz", timeout=30).status_code == 200


def start_worker(store: StoreLocation, metrics_port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "etagere", "worker", *store.flags()]
    cmd += ["--metrics-port", str(metrics_port), "--log-level", "warning"]
    with log.open("ab") as handle:
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=_env())


def test_a_separate_worker_serves_its_own_metrics(
    store: StoreLocation, start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(workers=0)
    sdk = client_for(server, server.api_key)
    port = free_port()
    log = tmp_path / "worker.log"
    worker = start_worker(store, port, log)
    try:
        library = sdk.beta.libraries.create(name="worker metrics")
        doc = upload_bytes(sdk, library.id, "note.md", NOTE)
        assert wait_settled(sdk, library.id, doc.id).process_status == "done"
        samples = scrape_when(
            f"http://127.0.0.1:{port}",
            lambda s: total(s, "etagere_documents_processed_total", outcome="done") == 1,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert worker.returncode == 0
    for step in PROCESSING_STEPS:
        assert total(samples, "etagere_processing_step_seconds_count", step=step) >= 1, step
    assert total(samples, "etagere_embedder_batch_seconds_count") >= 1
    assert total(samples, "etagere_jobs", state="done") == 1, "store gauges come from workers too"
    assert total(samples, "process_cpu_seconds_total") > 0
    api = scrape(server.url)
    assert total(api, "etagere_documents_processed_total") == 0, "the API process processed none"
    assert f"metrics on port {port}" in log.read_text()
    levels = {entry["level"] for entry in log_entries(log)}
    assert levels <= {"warning", "error", "critical"}, "the worker honours --log-level"


def test_store_gauges_are_skipped_while_the_store_is_down() -> None:
    Metrics()  # another registry in the same process: no name clashes
    unreachable = Database(f"postgresql://etagere@127.0.0.1:{free_port()}/absent")
    try:
        samples = parse(generate_latest(Metrics(unreachable).registry).decode())
    finally:
        unreachable.close()
    assert total(samples, "etagere_metadata_store_up") == 0
    assert not [s for s in samples if s.name in {"etagere_jobs", "etagere_library_documents"}]
    assert [s for s in samples if s.name == "etagere_documents_processed_total"]
