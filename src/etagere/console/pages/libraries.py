"""The libraries page: list and search, create, and a library's settings and deletion."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from etagere.console.render import page
from etagere.console.session import SessionDep, checked_form
from etagere.core.errors import InvalidInput
from etagere.core.model import OwnerType
from etagere.domain.libraries import LibraryChanges
from etagere.http.state import services

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/libraries")
def list_libraries(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(max_length=500)] = "",
    after: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    listing = services(request).libraries.list(
        session.caller, page_size=PAGE_SIZE, page_token=after, search=q
    )
    return page(request, "libraries.html", listing=listing, q=q)


@router.post("/libraries")
async def create_library(request: Request, session: SessionDep) -> Response:
    form = await checked_form(request, session)
    owner = OwnerType.USER if form.get("owner_type") == "User" else OwnerType.WORKSPACE
    description = str(form.get("description", "")).strip() or None
    try:
        view = services(request).libraries.create(
            session.caller, str(form.get("name", "")), description, owner_type=owner
        )
    except InvalidInput as exc:
        listing = services(request).libraries.list(session.caller, page_size=PAGE_SIZE)
        return page(request, "libraries.html", 422, listing=listing, q="", error=exc.message)
    return RedirectResponse(f"/libraries/{view.library.id}?notice=created", status_code=303)


@router.post("/libraries/{library_id}/settings")
async def update_library(request: Request, session: SessionDep, library_id: UUID) -> Response:
    form = await checked_form(request, session)
    changes = LibraryChanges(
        name=str(form.get("name", "")),
        description=str(form.get("description", "")).strip() or None,
        description_set=True,
    )
    services(request).libraries.update(session.caller, library_id, changes)
    return RedirectResponse(f"/libraries/{library_id}?notice=saved", status_code=303)


@router.get("/libraries/{library_id}/delete")
def confirm_delete(request: Request, session: SessionDep, library_id: UUID) -> Response:
    """A confirmation page naming the library and what goes with it."""
    view = services(request).libraries.get(session.caller, library_id)
    return page(request, "library_delete.html", view=view)


@router.post("/libraries/{library_id}/delete")
async def delete_library(request: Request, session: SessionDep, library_id: UUID) -> Response:
    await checked_form(request, session)
    services(request).libraries.delete(session.caller, library_id)
    return RedirectResponse("/libraries?notice=deleted", status_code=303)
