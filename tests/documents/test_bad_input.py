"""Hostile and broken uploads against a real server, on both stores.

Every case ends in a clear state with a reason; afterwards the server still answers
``/healthz`` and a control document uploaded before the case is untouched (same status, same
text). Cases that need default settings share one server per backend (``module_server``);
cases that need other limits start their own.
"""

from __future__ import annotations

import io
import json
import random
import select
import socket
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mistralai.client import Mistral, errors, models

from tests.conftest import ServerFactory, client_for
from tests.documents.conftest import flat, new_library, wait_all_settled
from tests.extraction.extraction_fixtures import docx_with_bomb, understate_sizes, write_text_pdf
from tests.support.documents import upload, upload_bytes, wait_settled
from tests.support.samples.images import text_image
from tests.support.samples.office import DOCX_MARKER
from tests.support.samples.pdfs import write_scanned_pdf
from tests.support.servers import EtagereServer

pytestmark = pytest.mark.timeout(600)

MiB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BOUNDARY = "etagere-bad-input-0c5e"


@dataclass
class Control:
    """A document processed before a bad input arrives; it must come out of it untouched."""

    server: EtagereServer
    client: Mistral
    library_id: str
    document: models.Document
    text: str

    def assert_unharmed(self) -> None:
        assert httpx.get(f"{self.server.url}/healthz", timeout=10).status_code == 200
        docs = self.client.beta.libraries.documents
        now = docs.get(library_id=self.library_id, document_id=self.document.id)
        assert now.process_status == self.document.process_status == "done"
        assert now.processing_status == self.document.processing_status
        assert now.last_processed_at == self.document.last_processed_at
        text = docs.text_content(library_id=self.library_id, document_id=self.document.id).text
        assert text == self.text


def make_control(server: EtagereServer, path: Path) -> Control:
    client = client_for(server, server.api_key)
    library_id = new_library(client, "control")
    document = wait_settled(client, library_id, upload(client, library_id, path).id)
    assert document.process_status == "done", document.processing_status
    text = client.beta.libraries.documents.text_content(
        library_id=library_id, document_id=document.id
    ).text
    return Control(server, client, library_id, document, text)


@dataclass
class Lab:
    """A server, its SDK client, a fresh library for the case and the control document."""

    server: EtagereServer
    client: Mistral
    library_id: str
    control: Control

    def upload_settled(self, name: str, data: bytes, timeout: float = 300) -> models.Document:
        document = upload_bytes(self.client, self.library_id, name, data)
        return wait_settled(self.client, self.library_id, document.id, timeout=timeout)

    def text(self, document: models.Document) -> str:
        return self.client.beta.libraries.documents.text_content(
            library_id=self.library_id, document_id=document.id
        ).text

    def counters(self) -> tuple[int, int]:
        library = self.client.beta.libraries.get(library_id=self.library_id)
        return library.nb_documents, library.total_size

    def blob_files(self) -> set[Path]:
        """Every file under the blob folder, including writes in progress."""
        root = self.server.store.data_dir / "blobs"
        return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture(scope="module")
def module_control(module_server: EtagereServer, samples: Path) -> Control:
    return make_control(module_server, samples / "crazy_ones.pdf")


@pytest.fixture
def lab(module_control: Control) -> Iterator[Lab]:
    """The shared server with a fresh library; the control is checked after the case."""
    server = module_control.server
    client = module_control.client
    yield Lab(server, client, new_library(client), module_control)
    module_control.assert_unharmed()


def lab_on(server: EtagereServer, control_path: Path) -> Lab:
    control = make_control(server, control_path)
    return Lab(server, control.client, new_library(control.client), control)


def assert_error(document: models.Document, *words: str) -> None:
    """An ``error`` document whose reason is a sentence naming ``words`` (any case)."""
    assert document.process_status == "error", (document.process_status, document.summary)
    reason = document.processing_status or ""
    assert len(reason) >= 15 and reason not in ("Running", "Completed"), reason
    for word in words:
        assert word.lower() in reason.lower(), f"{word!r} not in reason {reason!r}"


def assert_unsupported(exc: errors.SDKError) -> None:
    assert exc.status_code == 415, exc.body
    body = json.loads(exc.body or "{}")
    assert body["code"] == "unsupported_media_type"
    assert isinstance(body["detail"], str) and body["detail"]


# --- broken or disguised files ----------------------------------------------------------------


def test_zero_byte_file_ends_in_error(lab: Lab) -> None:
    document = lab.upload_settled("empty.pdf", b"")
    assert document.size == 0
    assert_error(document, "empty")
    assert lab.counters() == (1, 0)


def test_random_bytes_named_pdf_are_refused_at_upload(lab: Lab) -> None:
    data = random.Random(1).randbytes(4096)
    assert not data.startswith((b"%PDF", b"PK", b"\xff\xd8", b"BM", b"II", b"MM", b"GIF"))
    before = lab.blob_files()
    with pytest.raises(errors.SDKError) as raised:
        upload_bytes(lab.client, lab.library_id, "report.pdf", data)
    assert_unsupported(raised.value)
    assert lab.counters() == (0, 0)
    assert lab.blob_files() == before


def test_docx_renamed_pdf_is_read_as_docx(lab: Lab, samples: Path) -> None:
    data = (samples / "report.docx").read_bytes()
    document = lab.upload_settled("quarterly report.pdf", data)
    assert document.process_status == "done", document.processing_status
    assert document.mime_type == DOCX
    assert document.extension == "pdf"
    assert DOCX_MARKER in lab.text(document)


def test_encrypted_pdf_ends_in_error(lab: Lab, samples: Path) -> None:
    document = lab.upload_settled("encrypted.pdf", (samples / "encrypted.pdf").read_bytes())
    assert_error(document, "password")
    assert document.mime_type == "application/pdf"
    with pytest.raises(errors.SDKError) as raised:
        lab.text(document)
    assert raised.value.status_code == 409


def test_malformed_pdf_is_recovered(lab: Lab, samples: Path) -> None:
    """A PDF whose xref table points at wrong offsets; lenient parsing recovers its text."""
    data = (samples / "broken_xref.pdf").read_bytes()
    document = lab.upload_settled("broken-xref.pdf", data)
    assert document.process_status == "done", document.processing_status
    assert "test example" in flat(lab.text(document))


def test_truncated_pdf_ends_in_error(lab: Lab, samples: Path) -> None:
    data = (samples / "word_processors.pdf").read_bytes()
    document = lab.upload_settled("truncated.pdf", data[: len(data) // 2])
    assert_error(document, "PDF", "damaged")


def test_thousand_page_pdf_is_processed(lab: Lab, tmp_path: Path) -> None:
    path = _thousand_page_pdf(tmp_path)
    started = time.monotonic()
    document = lab.upload_settled("thousand.pdf", path.read_bytes(), timeout=400)
    elapsed = time.monotonic() - started
    assert document.process_status == "done", document.processing_status
    assert document.number_of_pages == 1000
    page = lab.client.beta.libraries.documents.text_content(
        library_id=lab.library_id, document_id=document.id, page_start=777, page_end=777
    ).text
    assert page.strip() == "Page number 777 of the big file"
    print(f"1,000-page PDF processed in {elapsed:.1f} s")


def test_thousand_page_pdf_over_the_page_cap(
    start_server: ServerFactory, samples: Path, tmp_path: Path
) -> None:
    lab = lab_on(start_server(max_pages=500), samples / "crazy_ones.pdf")
    document = lab.upload_settled("thousand.pdf", _thousand_page_pdf(tmp_path).read_bytes())
    assert_error(document, "pages", "500")
    lab.control.assert_unharmed()


@pytest.mark.parametrize("lies", [False, True], ids=["honest", "lying-sizes"])
def test_zip_bomb_in_docx_ends_in_error_quickly(
    lab: Lab, samples: Path, tmp_path: Path, lies: bool
) -> None:
    bomb = docx_with_bomb(samples / "report.docx", tmp_path / "b.docx", 600 * MiB)
    if lies:
        understate_sizes(bomb, declared=1000)
    assert bomb.stat().st_size < 5 * MiB
    started = time.monotonic()
    document = lab.upload_settled("bomb.docx", bomb.read_bytes(), timeout=120)
    assert time.monotonic() - started < 60
    assert_error(document)
    reason = (document.processing_status or "").lower()
    if lies:  # stopped while decompressing (size cap) or by the CRC check (damaged)
        assert "zip bomb" in reason or "damaged" in reason, reason
    else:  # refused from the declared sizes, before anything is unpacked
        assert "zip bomb" in reason and "512 mib" in reason, reason


# --- unsupported types ---------------------------------------------------------------------


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "an archive is not a document")
    return buffer.getvalue()


def _unknown_binary(kind: str) -> tuple[str, bytes]:
    if kind == "generated-binary":
        return "mystery.dat", random.Random(2).randbytes(8192)
    return "archive.zip", _plain_zip()


@pytest.mark.parametrize("kind", ["generated-binary", "plain-zip"])
def test_unknown_binary_is_refused_with_415(lab: Lab, kind: str) -> None:
    name, data = _unknown_binary(kind)
    before = lab.blob_files()
    with pytest.raises(errors.SDKError) as raised:
        upload_bytes(lab.client, lab.library_id, name, data)
    assert_unsupported(raised.value)
    assert lab.counters() == (0, 0)
    listing = lab.client.beta.libraries.documents.list(library_id=lab.library_id)
    assert listing.data == []
    assert lab.blob_files() == before


# --- names ---------------------------------------------------------------------------------


def _raw_upload(lab: Lab, filename: bytes, data: bytes) -> httpx.Response:
    body = (
        f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    with lab.server.http() as http:
        return http.post(f"/v1/libraries/{lab.library_id}/documents", content=body, headers=headers)


def _assert_safe_name(name: str) -> None:
    assert name and "/" not in name and "\\" not in name, name
    assert not any(unicodedata.category(ch).startswith("C") for ch in name), repr(name)
    assert len(name.encode()) <= 255, len(name.encode())
    assert name not in (".", "..") and not name.startswith("."), name


def test_hostile_filenames_are_sanitised(lab: Lab) -> None:
    data_dir = lab.server.store.data_dir
    files_before = {p for p in data_dir.rglob("*") if p.is_file()}
    traversal = upload_bytes(lab.client, lab.library_id, "../../etc/passwd", b"root:x:0:0\n")
    long_name = "x" * 396 + ".txt"
    long_doc = upload_bytes(lab.client, lab.library_id, long_name, b"a long name, short text\n")
    raw = _raw_upload(lab, b"a\x00b\x1f.txt", b"control characters in the name\n")
    assert raw.status_code == 201, raw.text
    slashes = _raw_upload(lab, b"..\\..\\windows\\system.ini", b"backslashes in the name\n")
    assert slashes.status_code == 201, slashes.text

    names = [traversal.name, long_doc.name, raw.json()["name"], slashes.json()["name"]]
    for name in names:
        _assert_safe_name(name)
    assert traversal.name == "passwd"
    assert long_doc.name.endswith(".txt") and long_doc.name.startswith("xxx")
    assert names[2] == "ab.txt"
    assert names[3] == "system.ini"
    ids = [traversal.id, long_doc.id, raw.json()["id"], slashes.json()["id"]]
    settled = wait_all_settled(lab.client, lab.library_id, ids, timeout=120)
    assert all(d.process_status == "done" for d in settled.values()), settled
    assert all(d.name in names for d in settled.values())

    new_files = {p for p in data_dir.rglob("*") if p.is_file()} - files_before
    outside = [p for p in new_files if not p.is_relative_to(data_dir / "blobs")]
    allowed = {"etagere.db-wal", "etagere.db-shm", "etagere.db-journal", "server.log"}
    assert [p for p in outside if p.name not in allowed] == []
    root = data_dir.parent
    assert not [p for p in root.rglob("passwd")], "a file was written where the name pointed"
    assert not (data_dir / "blobs" / "etc").exists()


# --- a big but valid document ------------------------------------------------------------


def test_api_stays_responsive_while_a_big_text_is_processed(lab: Lab) -> None:
    words = [f"word{i}" for i in range(5000)]
    rng = random.Random(3)
    lines = (" ".join(rng.choices(words, k=12)) + ".\n" for _ in range(MiB // 4 // 90))
    data = "".join(lines).encode()
    document = upload_bytes(lab.client, lab.library_id, "big notes.txt", data)
    answered = 0
    deadline = time.monotonic() + 600  # ~300 chunks to embed on the CPU
    status = document.process_status
    while status not in ("done", "error", "missing_content") and time.monotonic() < deadline:
        # Answered while the worker embeds (a server blocked by the job would time out here).
        assert httpx.get(f"{lab.server.url}/healthz", timeout=30).status_code == 200
        listed = lab.client.beta.libraries.documents.list(library_id=lab.library_id)
        assert document.id in {d.id for d in listed.data}
        answered += 1
        status = lab.client.beta.libraries.documents.status(
            library_id=lab.library_id, document_id=document.id
        ).process_status
        time.sleep(0.1)
    assert status == "done"
    assert answered > 0, "the document was done before the API could be asked anything"


# --- duplicates ----------------------------------------------------------------------------


def test_same_bytes_twice_answer_200_with_the_same_document(lab: Lab) -> None:
    data = b"the same bytes, uploaded twice\n" * 10
    url = f"/v1/libraries/{lab.library_id}/documents"
    with lab.server.http() as http:
        first = http.post(url, files={"file": ("first.txt", data, "text/plain")})
        second = http.post(url, files={"file": ("second name.txt", data, "text/plain")})
    assert first.status_code == 201, first.text
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["name"] == "first.txt"
    assert lab.counters() == (1, len(data))
    blobs = lab.blob_files()
    assert len([p for p in blobs if p.read_bytes() == data]) == 1, "one stored copy"


# --- limits that need their own server -------------------------------------------------------


@pytest.fixture
def small_upload_lab(start_server: ServerFactory, samples: Path) -> Iterator[Lab]:
    lab = lab_on(start_server(max_upload_mb=5), samples / "crazy_ones.pdf")
    blobs_before = lab.blob_files()
    yield lab
    assert lab.counters() == (0, 0), "nothing of a refused upload is stored"
    assert lab.blob_files() == blobs_before, "no partial blob is left behind"
    lab.control.assert_unharmed()


BIG = 200 * MiB
PART_HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
PART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


@dataclass
class CountingBody:
    """A 200 MB multipart body made on the fly, counting what the client has taken."""

    taken: int = 0

    def __iter__(self) -> Iterator[bytes]:
        yield PART_HEAD
        chunk = b"\0" * MiB
        for _ in range(BIG // MiB):
            self.taken += len(chunk)
            yield chunk
        yield PART_TAIL


def _post_big(lab: Lab, *, with_length: bool) -> tuple[httpx.Response, CountingBody]:
    body = CountingBody()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if with_length:
        headers["Content-Length"] = str(len(PART_HEAD) + BIG + len(PART_TAIL))
    with lab.server.http() as http:
        response = http.post(
            f"/v1/libraries/{lab.library_id}/documents",
            content=iter(body),
            headers=headers,
            timeout=120,
        )
    sent_header = "content-length" in response.request.headers
    assert sent_header == with_length
    return response, body


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "payload_too_large"
    assert "limit" in body["detail"]


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
def test_200_mb_upload_is_413(small_upload_lab: Lab, with_length: bool) -> None:
    response, _ = _post_big(small_upload_lab, with_length=with_length)
    _assert_413(response)


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
def test_200_mb_upload_client_stops_sending_early(small_upload_lab: Lab, with_length: bool) -> None:
    response, body = _post_big(small_upload_lab, with_length=with_length)
    _assert_413(response)
    assert body.taken < BIG // 4, f"the client sent {body.taken / MiB:.0f} MiB before the 413"


def test_413_names_the_configured_limit(small_upload_lab: Lab) -> None:
    response, _ = _post_big(small_upload_lab, with_length=True)
    _assert_413(response)
    assert "5 MB" in response.json()["detail"], response.json()["detail"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_413_arrives_before_the_body_is_sent(small_upload_lab: Lab, chunked: bool) -> None:
    """On a raw socket: the status line comes back while most of the 200 MB is still unsent."""
    lab = small_upload_lab
    framing = (
        "Transfer-Encoding: chunked"
        if chunked
        else f"Content-Length: {len(PART_HEAD) + BIG + len(PART_TAIL)}"
    )
    head = (
        f"POST /v1/libraries/{lab.library_id}/documents HTTP/1.1\r\nHost: etagere\r\n"
        f"Authorization: Bearer {lab.server.api_key}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
    )

    def frame(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data

    sent = 0
    reply = b""
    with socket.create_connection(("127.0.0.1", lab.server.port), timeout=30) as sock:
        sock.sendall(head.encode() + frame(PART_HEAD))
        chunk = b"\0" * MiB
        while sent < BIG and not reply:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                reply = sock.recv(65536)
                break
            sock.sendall(frame(chunk))
            sent += len(chunk)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent <= 50 * MiB, f"413 came only after {sent / MiB:.0f} MiB"


def test_extraction_timeout_then_next_document_processes(
    start_server: ServerFactory, samples: Path, tmp_path: Path
) -> None:
    control_path = tmp_path / "control.txt"
    control_path.write_text("A short control note that extracts in well under a second.\n")
    lab = lab_on(start_server(extraction_timeout_seconds=1), control_path)
    # Twenty scanned pages to OCR: well over a second on any machine (Tesseract reads a page in
    # about half a second at best), so the 1 s limit always cuts it short.
    page = text_image([f"Scanned page of the long report, line {n}" for n in range(1, 25)])
    scan = write_scanned_pdf(tmp_path / "long_scan.pdf", [page] * 20)
    slow = lab.upload_settled(scan.name, scan.read_bytes(), timeout=120)
    assert_error(slow, "longer than 1 s")
    following = lab.upload_settled("after.txt", b"The document after the timeout is fine.\n")
    assert following.process_status == "done", following.processing_status
    assert "after the timeout" in lab.text(following)
    lab.control.assert_unharmed()


def _thousand_page_pdf(tmp_path: Path) -> Path:
    pages = [f"Page number {i} of the big file" for i in range(1, 1001)]
    return write_text_pdf(tmp_path / "thousand.pdf", pages)
