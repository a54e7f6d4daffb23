"""Wire models of ``/v1/libraries/{id}/documents`` (SDK ``Document``, ``UpdateDocumentRequest``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from etagere.core.model import Document
from etagere.http.wire.libraries import PaginationInfo

Scalar = bool | int | float | str | datetime
AttributeValue = Scalar | list[str] | list[int] | list[float] | list[bool]


class DocumentOut(BaseModel):
    """A document; required SDK fields always present, including deprecated ones."""

    id: UUID
    library_id: UUID
    hash: str | None
    mime_type: str | None
    extension: str | None
    size: int | None
    name: str
    created_at: datetime
    process_status: str
    uploaded_by_id: UUID | None
    uploaded_by_type: str
    processing_status: str
    tokens_processing_total: int
    summary: str | None = None
    last_processed_at: datetime | None = None
    number_of_pages: int | None = None
    tokens_processing_main_content: int | None = None
    tokens_processing_summary: int | None = None
    url: str | None = None
    attributes: dict[str, Any] | None = None
    expires_at: datetime | None = None

    @classmethod
    def from_document(cls, doc: Document) -> DocumentOut:
        return cls(
            id=doc.id,
            library_id=doc.library_id,
            hash=doc.hash,
            mime_type=doc.mime_type,
            extension=doc.extension,
            size=doc.size,
            name=doc.name,
            created_at=doc.created_at,
            process_status=doc.process_status.value,
            uploaded_by_id=doc.uploaded_by_id,
            uploaded_by_type=doc.uploaded_by_type,
            processing_status=doc.processing_status,
            tokens_processing_total=doc.tokens_processing_total,
            summary=doc.summary,
            last_processed_at=doc.last_processed_at,
            number_of_pages=doc.number_of_pages,
            tokens_processing_main_content=doc.tokens_processing_main_content,
            tokens_processing_summary=doc.tokens_processing_summary,
            attributes=doc.attributes,
            expires_at=doc.expires_at,
        )


class ListDocumentsOut(BaseModel):
    pagination: PaginationInfo
    data: list[DocumentOut]


class UpdateDocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=1000, pattern=r"\S")
    attributes: dict[Annotated[str, Field(min_length=1, max_length=200)], AttributeValue] | None = (
        None
    )
    expires_at: datetime | None = None


class DocumentTextOut(BaseModel):
    text: str


class ProcessingStatusOut(BaseModel):
    document_id: UUID
    process_status: str
    processing_status: str
