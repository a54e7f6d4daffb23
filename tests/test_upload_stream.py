"""Streaming multipart uploads through a real uvicorn server, driven by httpx and raw sockets.

The endpoint under test is a tiny FastAPI app built here around ``receive_upload`` and a
``LocalBlobStore`` in a temporary directory; the server runs in a background thread of the test
process, so the blob directory and the process memory can be watched while a request runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import uvicorn
from fastapi import FastAPI, Request

from etagere.http.errors import install_error_handlers
from etagere.http.upload import ReceivedFile, receive_upload, sanitize_filename
from etagere.storage.blobs import LocalBlobStore

MiB = 1024 * 1024
DEFAULT_LIMIT = 64 * MiB
BOUNDARY = "etagere-test-boundary-7d1f"
# The start of a body whose ``file`` part follows: for bodies streamed or cut short by hand.
FILE_PART_START = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n'.encode()
)


def make_app(store: LocalBlobStore) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/upload")
    async def upload(request: Request, max_bytes: int = DEFAULT_LIMIT) -> dict[str, Any]:
        received: ReceivedFile = await receive_upload(request, store, max_bytes=max_bytes)
        return {
            "key": received.blob.key,
            "size": received.blob.size,
            "sha256": received.blob.sha256,
            "filename": received.filename,
            "declared_type": received.declared_type,
            "head": received.head.hex(),
        }

    return app


@dataclass
class Server:
    url: str
    port: int
    store: LocalBlobStore
    root: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("upload") / "blobs"
    store = LocalBlobStore(root)
    config = uvicorn.Config(make_app(store), host="127.0.0.1", port=0, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = int(uv.servers[0].sockets[0].getsockname()[1])
    yield Server(url=f"http://127.0.0.1:{port}/upload", port=port, store=store, root=root)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def srv(server: Server) -> Iterator[Server]:
    """The shared server, with an empty store before and after each test."""
    assert list(server.store.keys()) == [], "a previous test left blobs behind"
    yield server
    for key in list(server.store.keys()):
        server.store.delete(key)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as c:
        yield c


def tmp_files(srv: Server) -> list[Path]:
    return [p for p in (srv.root / "tmp").iterdir() if p.is_file()]


def assert_store_empty(srv: Server) -> None:
    assert list(srv.store.keys()) == []
    assert tmp_files(srv) == []


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def part(
    disposition: str, content: bytes = b"", content_type: str | None = None
) -> tuple[bytes, bytes]:
    headers = f"Content-Disposition: {disposition}\r\n".encode()
    if content_type:
        headers += f"Content-Type: {content_type}\r\n".encode()
    return headers, content


def multipart(*parts: tuple[bytes, bytes], boundary: str = BOUNDARY) -> bytes:
    body = b""
    for headers, content in parts:
        body += f"--{boundary}\r\n".encode() + headers + b"\r\n" + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def post_raw(client: httpx.Client, srv: Server, body: bytes, **params: int) -> httpx.Response:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    return client.post(srv.url, content=body, headers={"Content-Type": content_type}, params=params)


def raw_http(port: int, head: str, body: bytes = b"") -> socket.socket:
    """Send a request head (and maybe part of a body) on a raw socket, left open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode() + body)
    return sock


def read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


# --- happy paths ------------------------------------------------------------------------------


def test_small_file(srv: Server, client: httpx.Client) -> None:
    data = b"hello, etagere\n"
    response = client.post(srv.url, files={"file": ("notes.txt", data, "text/plain")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["filename"] == "notes.txt"
    assert body["declared_type"] == "text/plain"
    assert bytes.fromhex(body["head"]) == data
    with srv.store.open(body["key"]) as stream:
        assert stream.read() == data
    assert tmp_files(srv) == []


def test_empty_file(srv: Server, client: httpx.Client) -> None:
    response = client.post(srv.url, files={"file": ("empty.txt", b"", "text/plain")})
    assert response.status_code == 200, response.text
    assert response.json()["size"] == 0
    assert response.json()["sha256"] == hashlib.sha256(b"").hexdigest()


def test_data_that_looks_like_a_boundary(srv: Server, client: httpx.Client) -> None:
    data = (f"\r\n--{BOUNDARY}x\r\n--{BOUNDARY[:-3]}\r\n".encode() + os.urandom(1000)) * 50
    response = post_raw(client, srv, multipart(part('form-data; name="file"; filename="b"', data)))
    assert response.status_code == 200, response.text
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_30_mb_file_streamed_from_disk(srv: Server, client: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(30):
            block = os.urandom(MiB)
            digest.update(block)
            out.write(block)
    with path.open("rb") as stream:
        files = {"file": ("big.bin", stream, "application/octet-stream")}
        response = client.post(srv.url, files=files)
    assert response.status_code == 200, response.text
    assert "content-length" in response.request.headers
    body = response.json()
    assert (body["size"], body["sha256"]) == (30 * MiB, digest.hexdigest())
    with path.open("rb") as original:
        assert bytes.fromhex(body["head"]) == original.read(8192)
    with srv.store.local_path(body["key"]) as stored:
        assert stored.stat().st_size == 30 * MiB


def test_other_parts_are_ignored(srv: Server, client: httpx.Client) -> None:
    response = client.post(
        srv.url,
        data={"purpose": "library", "note": "x" * 10_000},
        files={"file": ("a.txt", b"content", "text/plain")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["sha256"] == hashlib.sha256(b"content").hexdigest()


def test_file_part_without_filename(srv: Server, client: httpx.Client) -> None:
    response = post_raw(client, srv, multipart(part('form-data; name="file"', b"abc")))
    assert response.status_code == 200, response.text
    assert response.json()["filename"] == "upload"
    assert response.json()["declared_type"] is None


# --- limits -----------------------------------------------------------------------------------


def test_exactly_at_limit(srv: Server, client: httpx.Client) -> None:
    data = os.urandom(MiB)
    files = {"file": ("limit.bin", data, "application/octet-stream")}
    response = client.post(srv.url, files=files, params={"max_bytes": MiB})
    assert response.status_code == 200, response.text
    assert response.json()["size"] == MiB


def test_over_limit_chunked_is_413(srv: Server, client: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        yield FILE_PART_START
        for _ in range(5):
            yield b"\0" * MiB
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    response = client.post(
        srv.url, content=body(), headers={"Content-Type": content_type}, params={"max_bytes": MiB}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413, response.text
    assert response.json() == {
        "detail": "The file is larger than the upload limit of 1 MB.",
        "code": "payload_too_large",
    }
    assert_store_empty(srv)


def test_over_limit_is_refused_before_the_body_ends(srv: Server) -> None:
    """413 comes while the client is still sending: the server does not read to the end."""
    head = (
        "POST /upload?max_bytes=1048576 HTTP/1.1\r\nHost: test\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    payload = FILE_PART_START + b"\0" * (2 * MiB)
    chunked = f"{len(payload):x}\r\n".encode() + payload + b"\r\n"  # no terminating chunk
    with raw_http(srv.port, head, chunked) as sock:
        assert read_status(sock) == 413
    assert_store_empty(srv)


def test_large_content_length_is_413_before_reading(srv: Server) -> None:
    head = (
        "POST /upload HTTP/1.1\r\nHost: test\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {10 * 1024**3}\r\n\r\n"
    )
    started = time.monotonic()
    with raw_http(srv.port, head) as sock:  # not a byte of the 10 GiB body is sent
        assert read_status(sock) == 413
    assert time.monotonic() - started < 5
    assert_store_empty(srv)


def test_content_length_allows_multipart_overhead(srv: Server, client: httpx.Client) -> None:
    files = {"file": ("a.bin", b"x" * 1000, "application/octet-stream")}
    response = client.post(srv.url, files=files, params={"max_bytes": 1000})
    assert response.status_code == 200, response.text


def test_other_parts_are_bounded(srv: Server, client: httpx.Client) -> None:
    body = multipart(
        part('form-data; name="junk"', b"j" * (2 * MiB)),
        part('form-data; name="file"; filename="a.txt"', b"content"),
    )
    response = post_raw(client, srv, body, max_bytes=8 * MiB)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert_store_empty(srv)


# --- malformed requests -----------------------------------------------------------------------


def test_missing_file_part_is_422(srv: Server, client: httpx.Client) -> None:
    response = client.post(srv.url, files={"document": ("a.txt", b"content", "text/plain")})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": [{"loc": ["body", "file"], "msg": "Field required", "type": "invalid_input"}]
    }
    assert_store_empty(srv)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"file": "x"}'),
        ("application/x-www-form-urlencoded", b"file=x"),
        ("multipart/form-data", b"--x\r\n\r\n"),  # no boundary
        (None, b"raw bytes"),
    ],
)
def test_not_multipart_is_422(
    srv: Server, client: httpx.Client, content_type: str | None, body: bytes
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(srv.url, content=body, headers=headers)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "file"]
    assert "multipart/form-data" in detail[0]["msg"]
    assert_store_empty(srv)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"--other-boundary\r\n\r\nx\r\n--other-boundary--\r\n", id="wrong-boundary"),
        pytest.param(
            multipart(part('form-data; name="file"; filename="a"', b"x" * 100_000))[:-30],
            id="truncated",
        ),
        pytest.param(b"", id="empty"),
        pytest.param(
            f"--{BOUNDARY}\r\nno colon here\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
            id="bad-header",
        ),
    ],
)
def test_malformed_multipart_is_422(srv: Server, client: httpx.Client, body: bytes) -> None:
    response = post_raw(client, srv, body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
    assert_store_empty(srv)


def test_two_file_parts_are_422(srv: Server, client: httpx.Client) -> None:
    body = multipart(
        part('form-data; name="file"; filename="a.txt"', b"first"),
        part('form-data; name="file"; filename="b.txt"', b"second"),
    )
    response = post_raw(client, srv, body)
    assert response.status_code == 422, response.text
    assert_store_empty(srv)


def test_client_disconnect_removes_partial_blob(srv: Server) -> None:
    head = (
        "POST /upload HTTP/1.1\r\nHost: test\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {10 * MiB}\r\n\r\n"
    )
    sock = raw_http(srv.port, head, FILE_PART_START + b"\0" * MiB)
    try:
        # The partial file is on disk while the body is still arriving: it is streamed.
        assert wait_until(lambda: bool(tmp_files(srv))), "no partial blob while uploading"
    finally:
        sock.close()
    assert wait_until(lambda: not tmp_files(srv)), "partial blob left after disconnect"
    assert list(srv.store.keys()) == []


# --- filenames --------------------------------------------------------------------------------


def upload_named(client: httpx.Client, srv: Server, disposition: str) -> str:
    response = post_raw(client, srv, multipart(part(disposition, b"x", "text/plain")))
    assert response.status_code == 200, response.text
    name: str = response.json()["filename"]
    return name


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("résumé 2024.pdf", "résumé 2024.pdf"),
        (".bashrc", "bashrc"),
    ],
)
def test_filename_via_httpx(srv: Server, client: httpx.Client, sent: str, expected: str) -> None:
    response = client.post(srv.url, files={"file": (sent, b"x", "text/plain")})
    assert response.status_code == 200, response.text
    assert response.json()["filename"] == expected


def test_filename_control_characters_raw(srv: Server, client: httpx.Client) -> None:
    # httpx percent-escapes control characters, so this request is built by hand.
    disposition = 'form-data; name="file"; filename="a\x00b\x1f.txt"'
    assert upload_named(client, srv, disposition) == "ab.txt"


def test_filename_control_characters_rfc5987(srv: Server, client: httpx.Client) -> None:
    disposition = "form-data; name=\"file\"; filename*=UTF-8''a%00b%1F%7F.txt"
    assert upload_named(client, srv, disposition) == "ab.txt"


def test_filename_rfc5987_wins_over_plain(srv: Server, client: httpx.Client) -> None:
    disposition = (
        'form-data; name="file"; filename="resume 2024.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf"
    )
    assert upload_named(client, srv, disposition) == "résumé 2024.pdf"


def test_filename_rfc5987_latin1(srv: Server, client: httpx.Client) -> None:
    disposition = "form-data; name=\"file\"; filename*=iso-8859-1'fr'r%E9sum%E9.pdf"
    assert upload_named(client, srv, disposition) == "résumé.pdf"


def test_filename_nfd_becomes_nfc(srv: Server, client: httpx.Client) -> None:
    nfd = unicodedata.normalize("NFD", "résumé.pdf")
    response = client.post(srv.url, files={"file": (nfd, b"x", "application/pdf")})
    assert response.json()["filename"] == "résumé.pdf"
    assert unicodedata.is_normalized("NFC", response.json()["filename"])


def test_filename_400_chars(srv: Server, client: httpx.Client) -> None:
    sent = "n" * 396 + ".pdf"
    response = client.post(srv.url, files={"file": (sent, b"x", "application/pdf")})
    name = response.json()["filename"]
    assert len(name.encode()) == 255
    assert name == "n" * 251 + ".pdf"


# --- sanitize_filename, directly ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "upload"),
        ("", "upload"),
        ("../..", "upload"),
        ("dir/", "upload"),
        ("\x00\x01", "upload"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.docx", "report.docx"),
        ("a\x00b\x1f.txt", "ab.txt"),
        ("a\tb\n\n  c .txt", "a b c .txt"),
        ("  . .. hidden", "hidden"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # right-to-left override is a format character
        ("no\u00a0break", "no break"),
        ("résumé 2024.pdf", "résumé 2024.pdf"),
    ],
)
def test_sanitize_filename(raw: str | None, expected: str) -> None:
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize(
    ("raw", "suffix"),
    [
        ("x" * 400 + ".pdf", ".pdf"),
        ("é" * 300 + ".txt", ".txt"),  # two bytes a character: no character cut in half
        ("日本語" * 100 + ".tar", ".tar"),
        ("y" * 300, "y"),
        ("z" * 300 + "." + "e" * 100, "z"),  # a 100-character "extension" is not kept
    ],
)
def test_sanitize_filename_caps_bytes_keeping_extension(raw: str, suffix: str) -> None:
    name = sanitize_filename(raw)
    assert len(name.encode()) <= 255
    assert len(name.encode()) > 240
    assert name.endswith(suffix)
    assert name.encode().decode() == name


# --- memory -----------------------------------------------------------------------------------


def test_memory_does_not_grow_with_file_size(srv: Server, client: httpx.Client) -> None:
    """A 100 MB upload raises the process RSS (client and server together) far less than 100 MB."""
    size = 100 * MiB
    block = os.urandom(MiB)
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        yield FILE_PART_START
        for i in range(size // MiB):
            chunk = i.to_bytes(8, "big") + block[8:]
            digest.update(chunk)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
        response = client.post(
            srv.url,
            content=body(),
            headers={"Content-Type": content_type},
            params={"max_bytes": 2 * size},
        )
    finally:
        done.set()
        sampler.join()
    assert response.status_code == 200, response.text
    assert (response.json()["size"], response.json()["sha256"]) == (size, digest.hexdigest())
    growth = peak - baseline
    assert growth < 50 * MiB, f"RSS grew by {growth / MiB:.0f} MiB for a 100 MiB upload"


def test_free_disk_for_big_uploads(srv: Server) -> None:
    # The suite writes up to 100 MiB at once into the blob directory.
    assert shutil.disk_usage(srv.root).free > 300 * MiB
