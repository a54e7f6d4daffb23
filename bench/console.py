"""The web console on a library of 10,000 documents, next to the API alone.

Measures, with a real ``etagere serve`` (SQLite) and Debian's chromium driven by Playwright:
bytes a browser transfers on a first (cold) and a later (warm) load of the documents page, the
time until the documents table is on screen, and the time until search results are; and the
same pages fetched as plain HTML, and the equivalent API calls (JSON) over one keep-alive
connection. 50 documents are really processed (so that search has passages to find); 9,950
more rows are inserted straight into the store in one transaction, as processed documents.

    python bench/console.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # ``python bench/console.py`` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.servers import EtagereServer, StoreLocation  # noqa: E402

from etagere.core.model import Document, ProcessStatus  # noqa: E402
from etagere.storage.metadata import Database  # noqa: E402
from etagere.storage.metadata import documents as document_store  # noqa: E402
from etagere.storage.metadata.types import utcnow  # noqa: E402

TOTAL = 10_000
PROCESSED = 50
QUERY = "lighthouse storm ledger"
WORDS = [
    "harbour",
    "ledger",
    "ferry",
    "storm",
    "tide",
    "archive",
    "chart",
    "letter",
    "keeper",
    "beacon",
]


def build_library(server: EtagereServer) -> str:
    api = _api(server)
    library_id = str(api.post("/v1/libraries", json={"name": "ten thousand"}).json()["id"])
    for n in range(PROCESSED):
        words = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(120))
        text = f"Report {n}. The lighthouse keeper noted storm {n} in the ledger. {words}\n"
        api.post(
            f"/v1/libraries/{library_id}/documents",
            files={"file": (f"report-{n:05d}.txt", text.encode())},
        ).raise_for_status()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        listing = api.get(f"/v1/libraries/{library_id}/documents", params={"page_size": 100}).json()
        if all(d["process_status"] == "done" for d in listing["data"]):
            break
        time.sleep(1)
    _insert_rows(server.store, uuid.UUID(library_id), TOTAL - PROCESSED)
    return library_id


def _insert_rows(store: StoreLocation, library_id: uuid.UUID, count: int) -> None:
    """Processed-looking documents, written in one transaction through the storage layer."""
    db = Database(f"sqlite:///{store.data_dir / 'etagere.db'}")
    now = utcnow()
    with db.write() as conn:
        for n in range(count):
            document_store.insert_document(
                conn,
                Document(
                    id=uuid.uuid4(),
                    library_id=library_id,
                    name=f"scan-{n:05d}.pdf",
                    extension="pdf",
                    mime_type="application/pdf",
                    size=50_000 + n,
                    hash=uuid.uuid4().hex * 2,
                    blob_key=f"bench/{n}",
                    process_status=ProcessStatus.DONE,
                    processing_status="Completed",
                    attributes={"batch": n % 10},
                    summary=None,
                    number_of_pages=1 + n % 30,
                    tokens_processing_main_content=None,
                    tokens_processing_summary=None,
                    tokens_processing_total=0,
                    uploaded_by_id=None,
                    uploaded_by_type="User",
                    expires_at=None,
                    last_processed_at=now,
                    created_at=now,
                    updated_at=now,
                ),
            )
    db.close()


def _api(server: EtagereServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=120)


def _console(server: EtagereServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=120)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text)
    assert token is not None
    client.post("/sign-in", data={"csrf": token.group(1), "api_key": server.api_key})
    return client


def timed(call: Callable[[], int], runs: int) -> tuple[float, int]:
    """Median milliseconds of ``call`` and the bytes it reported on its last run."""
    call()  # warm-up
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        size = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), size


def _wire_bytes(response: httpx.Response) -> int:
    head = sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    return head + len(response.content)


def browser_load(browser: Browser, server: EtagereServer, path: str, ready: str, warm: bool):
    """A ``Callable`` loading ``path`` until ``ready`` is visible; returns transferred bytes."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/sign-in")
    page.fill("#api_key", server.api_key)
    page.click("button[type=submit]")
    page.wait_for_url("**/libraries")
    transferred: list[int] = []

    def count(request: object) -> None:
        sizes = request.sizes()  # type: ignore[attr-defined]
        transferred.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    page.on("requestfinished", count)

    def load() -> int:
        if not warm:
            _clear_cache(page)
        transferred.clear()
        page.goto(server.url + path, wait_until="commit")
        page.wait_for_selector(ready)
        page.wait_for_load_state("load")
        return sum(transferred)

    return load


def _clear_cache(page: Page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.clearBrowserCache")
    session.detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="etagere-bench-console-") as tmp:
        server = EtagereServer(store=StoreLocation(data_dir=Path(tmp) / "data")).start()
        try:
            library_id = build_library(server)
            rows = measure(server, library_id, args.runs)
        finally:
            server.stop()
    print(f"\nconsole vs API, library of {TOTAL:,} documents, median of {args.runs} runs")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    print("| what | console ms | console bytes | API ms | API bytes | ms ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (c_ms, c_bytes), (a_ms, a_bytes) in rows:
        print(
            f"| {name} | {c_ms:.1f} | {c_bytes:,} | {a_ms:.1f} | {a_bytes:,} | {c_ms / a_ms:.1f}x |"
        )


def measure(
    server: EtagereServer, library_id: str, runs: int
) -> list[tuple[str, tuple[float, int], tuple[float, int]]]:
    api, console = _api(server), _console(server)
    documents_path = f"/libraries/{library_id}"
    search_path = f"/search?q={QUERY.replace(' ', '+')}&library={library_id}"

    def api_documents() -> int:
        return _wire_bytes(
            api.get(f"/v1/libraries/{library_id}/documents", params={"page_size": 25})
        )

    def api_search() -> int:
        body = {"query": QUERY, "top_k": 10}
        return _wire_bytes(api.post(f"/v1/libraries/{library_id}/search", json=body))

    api_docs, api_hits = timed(api_documents, runs), timed(api_search, runs)
    html_docs = timed(lambda: _wire_bytes(console.get(documents_path)), runs)
    html_hits = timed(lambda: _wire_bytes(console.get(search_path)), runs)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cold = timed(browser_load(browser, server, documents_path, "#rows tr", False), runs)
        warm = timed(browser_load(browser, server, documents_path, "#rows tr", True), runs)
        hits = timed(browser_load(browser, server, search_path, ".hit", True), runs)
        browser.close()
    return [
        ("documents page, browser, first load (cold cache)", cold, api_docs),
        ("documents page, browser, assets cached", warm, api_docs),
        ("documents page, HTML only", html_docs, api_docs),
        ("search results, browser, assets cached", hits, api_hits),
        ("search results, HTML only", html_hits, api_hits),
    ]


if __name__ == "__main__":
    main()
