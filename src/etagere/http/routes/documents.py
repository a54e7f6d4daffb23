"""``/v1/libraries/{library_id}/documents``: the SDK's eleven document methods."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from etagere.core.filters import parse_filter
from etagere.domain.documents import DocumentChanges
from etagere.domain.signing import Served
from etagere.http.auth import CallerDep
from etagere.http.state import services
from etagere.http.upload import receive_upload
from etagere.http.wire.documents import (
    DocumentOut,
    DocumentTextOut,
    ListDocumentsOut,
    ProcessingStatusOut,
    UpdateDocumentIn,
)
from etagere.http.wire.libraries import MAX_PAGE, PaginationInfo

router = APIRouter(prefix="/v1/libraries/{library_id}/documents", tags=["documents"])

SortBy = Literal["created_at", "name", "size", "last_processed_at"]


@router.get("", response_model=ListDocumentsOut)
def list_documents(
    request: Request,
    caller: CallerDep,
    library_id: UUID,
    search: Annotated[str | None, Query(max_length=500)] = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 100,
    page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
    filters_attributes: Annotated[
        str | None,
        Query(max_length=20_000, description="A JSON filter (see README: Filters)"),
    ] = None,
    sort_by: SortBy = "created_at",
    sort_order: Literal["asc", "desc"] = "desc",
) -> ListDocumentsOut:
    """A page of the library's documents, filtered, searched by name and sorted."""
    where = (
        parse_filter(filters_attributes, ("query", "filters_attributes"))
        if filters_attributes
        else None
    )
    result = services(request).documents.list(
        caller,
        library_id,
        search=search,
        where=where,
        sort_by=sort_by,
        descending=sort_order == "desc",
        page=page,
        page_size=page_size,
    )
    pagination = PaginationInfo.of(result.total, page, page_size)
    return ListDocumentsOut(
        pagination=pagination, data=[DocumentOut.from_document(d) for d in result.items]
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    responses={200: {"model": DocumentOut, "description": "The same bytes were already here"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_document(request: Request, caller: CallerDep, library_id: UUID) -> JSONResponse:
    """Upload a file (multipart part ``file``): 201 with a new document, 200 if already there."""
    svc = services(request)
    svc.documents.check_upload(caller, library_id)
    received = await receive_upload(request, svc.blobs, max_bytes=svc.max_upload_bytes)
    document, created = svc.documents.register_upload(
        caller, library_id, received.blob, received.filename
    )
    body = DocumentOut.from_document(document).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


@router.get("/{document_id}", response_model=DocumentOut)
def get_document(
    request: Request, caller: CallerDep, library_id: UUID, document_id: UUID
) -> DocumentOut:
    document = services(request).documents.get(caller, library_id, document_id)
    return DocumentOut.from_document(document)


@router.patch("/{document_id}", response_model=DocumentOut)
def update_document(
    request: Request,
    caller: CallerDep,
    library_id: UUID,
    document_id: UUID,
    body: UpdateDocumentIn,
) -> DocumentOut:
    """Rename, set attributes or an expiry date (Editor or Owner)."""
    return _update(request, caller, library_id, document_id, body)


@router.put("/{document_id}", response_model=DocumentOut)
def replace_document(
    request: Request,
    caller: CallerDep,
    library_id: UUID,
    document_id: UUID,
    body: UpdateDocumentIn,
) -> DocumentOut:
    """The SDK's ``libraries_documents_update_v1``: same body and rules as PATCH."""
    return _update(request, caller, library_id, document_id, body)


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(
    request: Request, caller: CallerDep, library_id: UUID, document_id: UUID
) -> Response:
    """Delete a document: gone from listing and search at once."""
    services(request).documents.delete(caller, library_id, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{document_id}/text_content", response_model=DocumentTextOut)
def text_content(
    request: Request,
    caller: CallerDep,
    library_id: UUID,
    document_id: UUID,
    page_start: Annotated[int | None, Query(ge=1, description="First page, 1-based")] = None,
    page_end: Annotated[int | None, Query(ge=1, description="Last page, inclusive")] = None,
) -> DocumentTextOut:
    """The extracted Markdown, whole or for pages ``page_start..page_end`` (inclusive)."""
    text = services(request).documents.text(caller, library_id, document_id, page_start, page_end)
    return DocumentTextOut(text=text)


@router.get("/{document_id}/status", response_model=ProcessingStatusOut)
def document_status(
    request: Request, caller: CallerDep, library_id: UUID, document_id: UUID
) -> ProcessingStatusOut:
    document = services(request).documents.get(caller, library_id, document_id)
    return ProcessingStatusOut(
        document_id=document.id,
        process_status=document.process_status.value,
        processing_status=document.processing_status,
    )


@router.get("/{document_id}/signed-url", response_model=str)
def signed_url(request: Request, caller: CallerDep, library_id: UUID, document_id: UUID) -> str:
    """A URL serving the original file without an API key, valid 30 minutes by default."""
    return _signed(request, caller, library_id, document_id, "original")


@router.get("/{document_id}/extracted-text-signed-url", response_model=str)
def extracted_text_signed_url(
    request: Request, caller: CallerDep, library_id: UUID, document_id: UUID
) -> str:
    """A URL serving the extracted text without an API key, valid 30 minutes by default."""
    return _signed(request, caller, library_id, document_id, "text")


@router.post("/{document_id}/reprocess", status_code=status.HTTP_204_NO_CONTENT)
def reprocess(request: Request, caller: CallerDep, library_id: UUID, document_id: UUID) -> Response:
    """Run the pipeline again; derived data is replaced atomically when it finishes."""
    services(request).documents.reprocess(caller, library_id, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _signed(
    request: Request, caller: CallerDep, library_id: UUID, document_id: UUID, served: Served
) -> str:
    path = services(request).documents.signed_path(caller, library_id, document_id, served)
    return str(request.base_url).rstrip("/") + path


def _update(
    request: Request,
    caller: CallerDep,
    library_id: UUID,
    document_id: UUID,
    body: UpdateDocumentIn,
) -> DocumentOut:
    fields = body.model_fields_set
    changes = DocumentChanges(
        name=body.name,
        attributes=body.attributes,
        attributes_set="attributes" in fields,
        expires_at=body.expires_at,
        expires_at_set="expires_at" in fields,
    )
    document = services(request).documents.update(caller, library_id, document_id, changes)
    return DocumentOut.from_document(document)
