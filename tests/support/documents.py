"""Helpers for document tests: upload through the SDK and wait for processing to settle."""

from __future__ import annotations

import time
from pathlib import Path

from mistralai.client import Mistral, models

SETTLED = {"done", "error", "missing_content"}


def upload(
    client: Mistral, library_id: str, path: Path, name: str | None = None
) -> models.Document:
    with path.open("rb") as handle:
        return client.beta.libraries.documents.upload(
            library_id=library_id, file={"file_name": name or path.name, "content": handle}
        )


def upload_bytes(client: Mistral, library_id: str, name: str, data: bytes) -> models.Document:
    return client.beta.libraries.documents.upload(
        library_id=library_id, file={"file_name": name, "content": data}
    )


def wait_status(
    client: Mistral, library_id: str, document_id: str, wanted: str, timeout: float = 60
) -> models.Document:
    """Poll until the document's ``process_status`` is ``wanted``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = client.beta.libraries.documents.get(
            library_id=library_id, document_id=document_id
        )
        if document.process_status == wanted:
            return document
        time.sleep(0.05)
    raise AssertionError(f"document {document_id} never reached {wanted}")


def wait_settled(
    client: Mistral, library_id: str, document_id: str, timeout: float = 180
) -> models.Document:
    """Poll until the document leaves todo/in_progress; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = client.beta.libraries.documents.get(
            library_id=library_id, document_id=document_id
        )
        if document.process_status in SETTLED:
            return document
        time.sleep(0.2)
    raise AssertionError(f"document {document_id} still {document.process_status} after {timeout}s")
