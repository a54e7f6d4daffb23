"""Every error is JSON: dependencies down answer 503 with Retry-After, the unknown answers 500 with
the request id, and a wrong route says what is probably wrong."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from etagere.http.app import create_app
from etagere.runtime import Runtime
from etagere.settings import Settings
from tests.support.servers import EtagereServer, StoreLocation, free_port


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "unavailable"
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["x-request-id"]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[type[EtagereServer]]:
    started: list[EtagereServer] = []

    class Started(EtagereServer):
        def start(self, extra_env: dict[str, str] | None = None) -> EtagereServer:
            started.append(self)
            return super().start(extra_env)

    yield Started
    for server in started:
        server.stop()


def test_search_with_the_embedder_down(tmp_path: Path, start: type[EtagereServer]) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    server = start(store=StoreLocation(tmp_path / "data")).start(
        {
            "ETAGERE_EMBEDDER": "openai-compatible",
            "ETAGERE_EMBEDDING_URL": dead,
            "ETAGERE_EMBEDDING_MODEL": "nomic-embed-text",
        }
    )
    with server.http() as http:
        library = http.post("/v1/libraries", json={"name": "notes"}).json()
        files = {"file": ("a.txt", b"typewriters and their patents", "text/plain")}
        http.post(f"/v1/libraries/{library['id']}/documents", files=files)
        _assert_unavailable(http.post("/v1/search", json={"query": "typewriter"}))
        assert "embedding" in http.post("/v1/search", json={"query": "x"}).json()["detail"]
        # Keyword search needs no embedder: it still answers.
        keyword = {"retriever": {"type": "keyword", "query": "typewriter"}}
        assert http.post("/v1/search", json=keyword).status_code == 200


def test_uploads_with_the_blob_store_down(tmp_path: Path, start: type[EtagereServer]) -> None:
    server = start(store=StoreLocation(tmp_path / "data")).start(
        {
            "ETAGERE_BLOB_STORE": "s3",
            "ETAGERE_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            "ETAGERE_S3_BUCKET": "gone",
            "ETAGERE_S3_ACCESS_KEY_ID": "x",
            "ETAGERE_S3_SECRET_ACCESS_KEY": "y",
        }
    )
    with server.http() as http:
        library = http.post("/v1/libraries", json={"name": "files"}).json()
        files = {"file": ("a.txt", b"some text", "text/plain")}
        _assert_unavailable(http.post(f"/v1/libraries/{library['id']}/documents", files=files))
        # Search reads no file: it still answers.
        assert http.post("/v1/search", json={"query": "text"}).status_code in (200, 503)
        keyword = {"retriever": {"type": "keyword", "query": "text"}}
        assert http.post("/v1/search", json=keyword).status_code == 200


def test_a_locked_database_is_503(tmp_path: Path, start: type[EtagereServer]) -> None:
    server = start(store=StoreLocation(tmp_path / "data")).start({"ETAGERE_WORKERS": "0"})
    lock = sqlite3.connect(tmp_path / "data" / "etagere.db", isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        with server.http() as http:
            http.timeout = httpx.Timeout(60)
            _assert_unavailable(http.post("/v1/libraries", json={"name": "blocked"}))
            lock.execute("ROLLBACK")
            assert http.post("/v1/libraries", json={"name": "free"}).status_code == 201
    finally:
        lock.close()


def test_the_last_resort_is_a_json_500_with_the_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = Runtime.open(Settings(data_dir=tmp_path / "data", workers=0))
    try:
        app = create_app(runtime.services)

        @app.get("/v1/broken")
        def broken() -> None:
            raise RuntimeError("a bug nobody foresaw")

        with (
            TestClient(app, raise_server_exceptions=False) as client,
            caplog.at_level(logging.ERROR),
        ):
            response = client.get("/v1/broken", headers={"x-request-id": "req-42"})
            assert response.status_code == 500
            assert response.json()["code"] == "internal"
            assert "req-42" in response.json()["detail"]
            assert "a bug nobody foresaw" not in response.text, "the traceback stays in the log"
            assert response.headers["x-request-id"] == "req-42"
            assert any("a bug nobody foresaw" in (r.exc_text or "") for r in caplog.records)
            # The same client (connection) goes on working.
            assert client.get("/healthz").status_code == 200
    finally:
        runtime.stop()


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/v1/v1/libraries", "repeats '/v1'"),
        ("/v1/chat/completions", "does not serve POST /v1/chat/completions"),
        ("/v1/embeddings", "Libraries API"),
        ("/v2/whatever", "No route POST /v2/whatever"),
    ],
)
def test_a_wrong_route_says_what_is_wrong(edge_server: EtagereServer, path: str, hint: str) -> None:
    with edge_server.http() as http:
        response = http.post(path, json={})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert hint in body["detail"]
    assert "/docs" in body["detail"]


def test_a_wrong_method_is_json(edge_server: EtagereServer) -> None:
    with edge_server.http() as http:
        response = http.patch("/v1/search", json={})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_sdk_with_server_url_ending_in_v1(edge_server: EtagereServer) -> None:
    from mistralai.client import Mistral
    from mistralai.client.errors import SDKError

    client = Mistral(api_key=edge_server.api_key, server_url=edge_server.url + "/v1")
    with pytest.raises(SDKError) as raised:
        client.beta.libraries.list()
    assert "repeats '/v1'" in str(raised.value.body)
