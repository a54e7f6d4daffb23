"""Search over one, several or all readable libraries, with cited and highlighted passages."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from etagere.console.forms import parse_attribute_filter
from etagere.console.render import page
from etagere.console.session import SessionDep
from etagere.console.text import query_terms
from etagere.domain.search import MAX_TOP_K, KeywordQuery, Retrieval, VectorQuery, hybrid
from etagere.http.state import services

router = APIRouter(include_in_schema=False)
Mode = Literal["hybrid", "keyword", "semantic"]


def retrieval(query: str, mode: Mode, top_k: int, where: str) -> Retrieval:
    """The console's three modes in the domain's retriever vocabulary."""
    filter_ = parse_attribute_filter(where, ("query", "where"))
    if mode == "keyword":
        return KeywordQuery(query, top_k, filter=filter_)
    if mode == "semantic":
        return VectorQuery(query=query, top_k=top_k, filter=filter_)
    return hybrid(query, top_k, filter_)


@router.get("/search")
def search(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(max_length=2000)] = "",
    library: Annotated[list[UUID] | None, Query()] = None,
    mode: Mode = "hybrid",
    top_k: Annotated[int, Query(ge=1, le=MAX_TOP_K)] = 10,
    where: Annotated[str, Query(max_length=5000)] = "",
) -> Response:
    svc = services(request)
    readable = svc.libraries.list(session.caller, page_size=100).items
    hits = []
    if q.strip():
        hits = svc.search.search(session.caller, library or None, retrieval(q, mode, top_k, where))
    names = {view.library.id: view.library.name for view in readable}
    return page(
        request,
        "search.html",
        q=q,
        readable=readable,
        selected=set(library or []),
        mode=mode,
        top_k=top_k,
        where=where,
        hits=hits,
        names=names,
        terms=query_terms(q),
        searched=bool(q.strip()),
    )
