"""Search routes: one library, or many at once (``POST /v1/search``)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request

from etagere.http.auth import CallerDep
from etagere.http.state import services
from etagere.http.wire.search import SearchAllIn, SearchIn, SearchOut

router = APIRouter(tags=["search"])


@router.post("/v1/libraries/{library_id}/search", response_model=SearchOut)
def search_library(
    request: Request, caller: CallerDep, library_id: UUID, body: SearchIn
) -> SearchOut:
    """Hybrid (default), keyword, vector or fused search in one library; cited passages."""
    hits = services(request).search.search(caller, [library_id], body.to_domain())
    return SearchOut.of(hits)


@router.post("/v1/search", response_model=SearchOut)
def search_libraries(request: Request, caller: CallerDep, body: SearchAllIn) -> SearchOut:
    """The same search across ``library_ids`` (default: every library the caller can read)."""
    hits = services(request).search.search(caller, body.library_ids, body.to_domain())
    return SearchOut.of(hits)
