"""Wire models of ``/v1/libraries`` (SDK models ``Library``, ``CreateLibraryRequest``...)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from etagere.core.model import LibraryView, SharingSummary
from etagere.http.wire.sharing import role_name

MIN_CHUNK_SIZE = 256
MAX_CHUNK_SIZE = 32_768
# Offset paging stops here (10^8 items at the largest page size): a larger page number would
# overflow the stores' 64-bit offsets and could never hold anything anyway.
MAX_PAGE = 1_000_000


class LibraryOut(BaseModel):
    """A library; every field the SDK marks required is present, deprecated ones as null."""

    id: UUID
    name: str
    created_at: datetime
    updated_at: datetime
    owner_id: UUID | None
    owner_type: Literal["User", "Workspace"]
    total_size: int
    nb_documents: int
    chunk_size: int | None
    emoji: str | None = None
    description: str | None = None
    generated_description: str | None = None
    explicit_user_members_count: int | None = None
    explicit_workspace_members_count: int | None = None
    org_sharing_role: str | None = None
    generated_name: str | None = None

    @classmethod
    def from_view(cls, view: LibraryView) -> LibraryOut:
        lib = view.library
        sharing = view.sharing or SharingSummary()
        return cls(
            id=lib.id,
            name=lib.name,
            created_at=lib.created_at,
            updated_at=lib.updated_at,
            owner_id=lib.owner_id,
            owner_type=lib.owner_type.value,
            total_size=lib.total_size,
            nb_documents=lib.nb_documents,
            chunk_size=lib.chunk_size,
            description=lib.description,
            generated_name=lib.generated_name,
            generated_description=lib.generated_description,
            explicit_user_members_count=sharing.user_grants,
            explicit_workspace_members_count=sharing.workspace_grants,
            org_sharing_role=role_name(sharing.org_role) if sharing.org_role is not None else None,
        )


class PaginationInfo(BaseModel):
    total_items: int
    total_pages: int
    current_page: int
    page_size: int
    has_more: bool

    @classmethod
    def of(cls, total: int, page: int, page_size: int) -> PaginationInfo:
        """Offset-paging facts for page ``page`` (0-based) of ``total`` items."""
        return cls(
            total_items=total,
            total_pages=math.ceil(total / page_size),
            current_page=page,
            page_size=page_size,
            has_more=(page + 1) * page_size < total,
        )


class ListLibrariesOut(BaseModel):
    data: list[LibraryOut]
    pagination: PaginationInfo | None = None
    next_page_token: str | None = None


class CreateLibraryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500, pattern=r"\S")
    description: str | None = Field(default=None, max_length=10_000)
    chunk_size: int | None = Field(default=None, ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE)
    owner_type: Literal["User", "Workspace"] | None = None


class UpdateLibraryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=500, pattern=r"\S")
    description: str | None = Field(default=None, max_length=10_000)
