"""Signed URLs: a document's original bytes or extracted text, served without an API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from etagere.domain.signing import Served
from etagere.http.state import services

router = APIRouter(prefix="/v1/signed/documents", tags=["signed urls"])

CHUNK = 1024 * 1024


@router.get("/{document_id}/{served}", response_model=None)
def serve_signed(
    request: Request,
    document_id: UUID,
    served: Served,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(max_length=128)],
) -> StreamingResponse | PlainTextResponse:
    """Stream the original file, or the extracted Markdown, if the signature holds."""
    svc = services(request)
    document, text = svc.documents.open_signed(document_id, served, expires, signature)
    if text is not None:
        return PlainTextResponse(text.text, media_type="text/markdown; charset=utf-8")
    handle = svc.blobs.open(document.blob_key)

    def chunks() -> Iterator[bytes]:
        with handle:
            while block := handle.read(CHUNK):
                yield block

    disposition = f"inline; filename*=UTF-8''{_quote(document.name)}"
    return StreamingResponse(
        chunks(),
        media_type=document.mime_type or "application/octet-stream",
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(document.size),
            # Same origin as the console: an uploaded HTML page must never run as a page here.
            "Content-Security-Policy": "sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _quote(name: str) -> str:
    return quote(name, safe="")
