"""A library's access list; only its owner sees the controls to grant and revoke."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from etagere.console.forms import uuid_or_not_found
from etagere.console.render import page
from etagere.console.session import SessionDep, checked_form
from etagere.core.errors import InvalidInput
from etagere.core.model import Role, ShareTarget
from etagere.http.state import services

router = APIRouter(include_in_schema=False)
LEVELS = {"Viewer": Role.VIEWER, "Editor": Role.EDITOR}


@router.get("/libraries/{library_id}/sharing")
def sharing(request: Request, session: SessionDep, library_id: UUID) -> Response:
    svc = services(request)
    view = svc.libraries.get(session.caller, library_id)
    shares = svc.sharing.list(session.caller, library_id)
    users, workspaces = svc.identity.directory(session.caller)
    names = {u.id: u.email for u in users} | {w.id: w.name for w in workspaces}
    names[session.caller.org_id] = "Everyone in the organization"
    return page(
        request,
        "sharing.html",
        view=view,
        shares=shares,
        names=names,
        users=[u for u in users if u.id != session.caller.user_id],
        workspaces=workspaces,
        is_owner=view.role is Role.OWNER,
        Role=Role,
    )


@router.post("/libraries/{library_id}/sharing")
async def grant(request: Request, session: SessionDep, library_id: UUID) -> Response:
    form = await checked_form(request, session)
    target_type, target_id = _target(str(form.get("target", "")), session.caller.org_id)
    level = LEVELS.get(str(form.get("level", "")))
    if level is None:
        raise InvalidInput("Choose Viewer or Editor", ("body", "level"))
    services(request).sharing.share(session.caller, library_id, target_type, target_id, level)
    return RedirectResponse(f"/libraries/{library_id}/sharing?notice=shared", 303)


@router.post("/libraries/{library_id}/sharing/revoke")
async def revoke(request: Request, session: SessionDep, library_id: UUID) -> Response:
    form = await checked_form(request, session)
    target_type, target_id = _target(str(form.get("target", "")), session.caller.org_id)
    services(request).sharing.unshare(session.caller, library_id, target_type, target_id)
    return RedirectResponse(f"/libraries/{library_id}/sharing?notice=revoked", 303)


def _target(value: str, org_id: UUID) -> tuple[ShareTarget, UUID]:
    """``User:<id>``, ``Workspace:<id>`` or ``Org`` as the form sends it."""
    kind, _, raw_id = value.partition(":")
    if kind == "Org":
        return ShareTarget.ORG, org_id
    if kind not in ("User", "Workspace"):
        raise InvalidInput("Choose who to share with", ("body", "target"))
    return ShareTarget(kind), uuid_or_not_found(raw_id, kind)
