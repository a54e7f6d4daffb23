"""Inputs that used to hurt the server: each now ends in a clear JSON error with the right status.

Sent raw (httpx with hand-made bytes), since the official SDK would refuse to encode most of
them; the connection is reused afterwards to show the server kept it alive.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import HTTPValidationError

from tests.support.servers import EtagereServer

JSON = {"Content-Type": "application/json"}


def _library(http: httpx.Client) -> str:
    created = http.post("/v1/libraries", json={"name": f"lib-{uuid.uuid4().hex[:6]}"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _document(http: httpx.Client, library_id: str) -> str:
    files = {"file": ("note.txt", b"a short note about typewriters", "text/plain")}
    uploaded = http.post(f"/v1/libraries/{library_id}/documents", files=files)
    assert uploaded.status_code in (200, 201), uploaded.text
    return str(uploaded.json()["id"])


def _assert_json_invalid(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"][0] == "body"
    assert reason in error["ctx"]["error"]
    assert response.headers.get("connection") != "close"


def test_lone_surrogates_are_422_and_keep_the_connection(edge_server: EtagereServer) -> None:
    with edge_server.http() as http:
        library_id = _library(http)
        document_id = _document(http, library_id)
        cases = [
            ("POST", "/v1/libraries", b'{"name": "\\ud800"}'),
            ("POST", "/v1/search", b'{"query": "typewriter \\udfff"}'),
            ("POST", f"/v1/libraries/{library_id}/search", b'{"query": "x", "\\ud800": 1}'),
            (
                "PATCH",
                f"/v1/libraries/{library_id}/documents/{document_id}",
                b'{"attributes": {"author": "\\ud83d"}}',
            ),
        ]
        for method, path, body in cases:
            response = http.request(method, path, content=body, headers=JSON)
            _assert_json_invalid(response, "surrogate")
            # The same keep-alive connection serves the next request.
            assert http.get("/v1/libraries").status_code == 200
        # A proper pair (an emoji) is text and is accepted.
        paired = http.post("/v1/libraries", content=b'{"name": "\\ud83d\\ude00 ok"}', headers=JSON)
        assert paired.status_code == 201
        assert paired.json()["name"] == "\U0001f600 ok"


def test_the_sdk_sees_a_validation_error(edge_sdk: Mistral, edge_server: EtagereServer) -> None:
    """What a client of the official SDK meets for one of these bodies: HTTPValidationError."""
    with edge_server.http() as http:
        response = http.post("/v1/libraries", content=b'{"name": "\\ud800"}', headers=JSON)
    assert response.status_code == 422
    with pytest.raises(HTTPValidationError):
        edge_sdk.beta.libraries.create(name="\ud800")


def test_non_ascii_signature_is_403(edge_server: EtagereServer) -> None:
    with edge_server.http() as http:
        library_id = _library(http)
        document_id = _document(http, library_id)
        for served in ("original", "text"):
            response = httpx.get(
                f"{edge_server.url}/v1/signed/documents/{document_id}/{served}"
                "?expires=99999999999&signature=%C3%A9%E2%82%AC"
            )
            assert response.status_code == 403, response.text
            assert response.json() == {"detail": "Invalid URL signature", "code": "forbidden"}


@pytest.mark.parametrize("page", [10**6 + 1, 10**17, 10**18, 2**63, 10**30])
def test_huge_page_numbers_are_422(edge_server: EtagereServer, page: int) -> None:
    with edge_server.http() as http:
        library_id = _library(http)
        for path in ("/v1/libraries", f"/v1/libraries/{library_id}/documents"):
            response = http.get(path, params={"page": page})
            assert response.status_code == 422, response.text
            assert response.json()["detail"][0]["loc"] == ["query", "page"]
        # The largest accepted page is simply empty.
        last = http.get(f"/v1/libraries/{library_id}/documents", params={"page": 10**6})
        assert last.status_code == 200
        assert last.json()["data"] == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"query": "caf\xe9"}', "Invalid UTF-8"),
        (b'{"query": "x", "top_k": ' + b"9" * 5000 + b"}", "Integer out of range"),
        (b'{"query": "x", "top_k": 99999999999999999999}', "Integer out of range"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
        (b'{"a": ' * 70 + b"1" + b"}" * 70, "nested deeper"),
        (b'{"query": "x", "top_k": NaN}', "NaN"),
        (b'{"query": "x", "top_k": 1e400}', "out of range"),
        (
            b'{"retriever": {"type": "rrf", "retrievers": [{"type": "keyword", "query": "x"}],'
            b' "weights": [1e400]}}',
            "out of range",
        ),
        (b'{"query": "x",', "Expecting"),
    ],
)
def test_one_422_shape_for_unreadable_json(
    edge_server: EtagereServer, body: bytes, reason: str
) -> None:
    with edge_server.http() as http:
        _assert_json_invalid(http.post("/v1/search", content=body, headers=JSON), reason)
        # Without a Content-Type FastAPI also reads JSON: the same rules apply.
        _assert_json_invalid(http.post("/v1/search", content=body), reason)


def test_a_422_repeats_only_an_excerpt_of_the_input(edge_server: EtagereServer) -> None:
    with edge_server.http() as http:
        huge = "typewriter " * 20_000  # over the query's 10,000 characters, under the body cap
        response = http.post("/v1/search", json={"query": huge})
        assert response.status_code == 422
        assert len(response.content) < 2_000, "the answer must not echo the whole input"
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "query"]
        assert error["input"].startswith("typewriter typewriter")
        assert error["input"].endswith("…")
        big_object = {"query": "x", "filters": {"author": ["a" * 50] * 2_000}}
        response = http.post("/v1/search", json=big_object)
        assert response.status_code == 422
        assert len(response.content) < 2_000


def test_text_content_page_start_past_the_end_is_empty(edge_server: EtagereServer) -> None:
    """Item: ``page_start`` alone past the end answers an empty text (as the README says)."""
    with edge_server.http() as http:
        library_id = _library(http)
        document_id = _document(http, library_id)
        path = f"/v1/libraries/{library_id}/documents/{document_id}"
        for _ in range(600):
            if http.get(f"{path}/status").json()["processing_status"] == "done":
                break
            time.sleep(0.1)
        response = http.get(f"{path}/text_content", params={"page_start": 50})
        assert response.status_code == 200, response.text
        assert response.json()["text"] == ""
        both = http.get(f"{path}/text_content", params={"page_start": 3, "page_end": 2})
        assert both.status_code == 422
