"""CORS for listed origins only (none by default); per-key rate limits (off by default)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.utils.retries import BackoffStrategy, RetryConfig

from tests.support.servers import EtagereServer, StoreLocation

APP = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[EtagereServer]]:
    servers: list[EtagereServer] = []
    yield servers
    for server in servers:
        server.stop()


def _start(started: list[EtagereServer], tmp_path: Path, **env: str) -> EtagereServer:
    server = EtagereServer(store=StoreLocation(tmp_path / "data"))
    started.append(server)
    return server.start({f"ETAGERE_{k.upper()}": v for k, v in env.items()})


def test_no_cors_headers_by_default(edge_server: EtagereServer) -> None:
    preflight = httpx.options(f"{edge_server.url}/v1/search", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    with edge_server.http() as http:
        response = http.get("/v1/libraries", headers={"Origin": APP})
    assert "access-control-allow-origin" not in response.headers


def test_cors_for_listed_origins(started: list[EtagereServer], tmp_path: Path) -> None:
    server = _start(started, tmp_path, cors_origins=f"{APP}, https://other.example.org/")
    preflight = httpx.options(f"{server.url}/v1/search", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    with server.http() as http:
        allowed = http.get("/v1/libraries", headers={"Origin": "https://other.example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://other.example.org"
        assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
        stranger = http.get("/v1/libraries", headers={"Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in stranger.headers
    # A refusal by the guard (no key) carries the headers too, so a web page can read it.
    refused = httpx.post(f"{server.url}/v1/search", json={"query": "x"}, headers={"Origin": APP})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP
    bad = httpx.options(
        f"{server.url}/v1/search", headers={**PREFLIGHT, "Origin": "https://evil.example.net"}
    )
    assert "access-control-allow-origin" not in bad.headers


def test_rate_limit_per_key_with_retry_after(started: list[EtagereServer], tmp_path: Path) -> None:
    server = _start(started, tmp_path, rate_limit_per_minute="30", workers="0")
    other = server.new_identity()
    with server.http() as http:
        answers = [http.get("/v1/libraries").status_code for _ in range(31)]
        assert answers[:30] == [200] * 30
        limited = http.get("/v1/libraries")
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 3

    # The official SDK, given a retry policy, honours Retry-After and gets through: its first
    # attempt is refused (the key's budget is spent), the retry after the delay succeeds.
    retrying = RetryConfig("backoff", BackoffStrategy(10, 100, 1.5, 60_000), False)
    sdk = Mistral(api_key=server.api_key, server_url=server.url, retry_config=retrying)
    assert sdk.beta.libraries.list().data == []
    lines = [json.loads(x) for x in server.log_path.read_text().splitlines() if x.startswith("{")]
    statuses = [x["status"] for x in lines if x.get("msg") == "request"]
    assert statuses[-3:] == [429, 429, 200], statuses[-6:]

    with server.http(other.key) as http:
        assert http.get("/v1/libraries").status_code == 200, "another key has its own budget"


def test_no_rate_limit_by_default(edge_server: EtagereServer) -> None:
    with edge_server.http() as http:
        assert {http.get("/healthz").status_code for _ in range(5)} == {200}
        assert {http.get("/v1/libraries").status_code for _ in range(100)} == {200}
