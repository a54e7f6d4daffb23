"""``/v1/libraries``: the Mistral Libraries API, as the official SDK calls it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, status

from etagere.core.model import OwnerType
from etagere.domain.libraries import MAX_PAGE_SIZE, LibraryChanges
from etagere.http.auth import CallerDep
from etagere.http.state import services
from etagere.http.wire.libraries import (
    MAX_PAGE,
    CreateLibraryIn,
    LibraryOut,
    ListLibrariesOut,
    PaginationInfo,
    UpdateLibraryIn,
)

router = APIRouter(prefix="/v1/libraries", tags=["libraries"])


@router.get("", response_model=ListLibrariesOut, response_model_exclude_none=False)
def list_libraries(
    request: Request,
    caller: CallerDep,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
    page_token: Annotated[str | None, Query(max_length=512)] = None,
    page: Annotated[
        int | None, Query(ge=0, le=MAX_PAGE, description="Deprecated: use page_token")
    ] = None,
    search: Annotated[str | None, Query(max_length=500)] = None,
    filter_owned_by_me: Annotated[bool | None, Query(description="Deprecated")] = None,
) -> ListLibrariesOut:
    """Libraries the caller can see, newest first; walk them with ``next_page_token``."""
    result = services(request).libraries.list(
        caller,
        page_size=page_size,
        page_token=page_token,
        page=page,
        search=search,
        owned_by_me=bool(filter_owned_by_me),
    )
    pagination = None
    if result.total is not None:
        pagination = PaginationInfo.of(result.total, page or 0, page_size)
    return ListLibrariesOut(
        data=[LibraryOut.from_view(v) for v in result.items],
        pagination=pagination,
        next_page_token=result.next_page_token,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LibraryOut)
def create_library(request: Request, caller: CallerDep, body: CreateLibraryIn) -> LibraryOut:
    """Create a library owned by the caller's workspace (default) or by the caller alone."""
    view = services(request).libraries.create(
        caller,
        name=body.name,
        description=body.description,
        chunk_size=body.chunk_size,
        owner_type=OwnerType(body.owner_type or OwnerType.WORKSPACE.value),
    )
    return LibraryOut.from_view(view)


@router.get("/{library_id}", response_model=LibraryOut)
def get_library(request: Request, caller: CallerDep, library_id: UUID) -> LibraryOut:
    return LibraryOut.from_view(services(request).libraries.get(caller, library_id))


@router.patch("/{library_id}", response_model=LibraryOut)
def update_library(
    request: Request, caller: CallerDep, library_id: UUID, body: UpdateLibraryIn
) -> LibraryOut:
    """Rename or re-describe a library (Editor or Owner)."""
    return _update(request, caller, library_id, body)


@router.put("/{library_id}", response_model=LibraryOut)
def replace_library(
    request: Request, caller: CallerDep, library_id: UUID, body: UpdateLibraryIn
) -> LibraryOut:
    """The SDK's ``libraries_update_v1``: same body and rules as PATCH."""
    return _update(request, caller, library_id, body)


@router.delete("/{library_id}", response_model=LibraryOut)
def delete_library(request: Request, caller: CallerDep, library_id: UUID) -> LibraryOut:
    """Delete a library and everything in it (Owner only); answers the deleted library."""
    return LibraryOut.from_view(services(request).libraries.delete(caller, library_id))


def _update(
    request: Request, caller: CallerDep, library_id: UUID, body: UpdateLibraryIn
) -> LibraryOut:
    changes = LibraryChanges(
        name=body.name,
        description=body.description,
        description_set="description" in body.model_fields_set,
    )
    return LibraryOut.from_view(services(request).libraries.update(caller, library_id, changes))
