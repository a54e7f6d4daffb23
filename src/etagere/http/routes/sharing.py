"""``/v1/libraries/{id}/share``: the SDK's ``beta.libraries.accesses`` (list, update_or_create,
delete; DELETE carries a JSON body)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request

from etagere.core.model import ShareTarget
from etagere.http.auth import CallerDep
from etagere.http.state import services
from etagere.http.wire.sharing import (
    ListSharingOut,
    SharingDeleteIn,
    SharingIn,
    SharingOut,
    role_for_level,
)

router = APIRouter(prefix="/v1/libraries/{library_id}/share", tags=["accesses"])


@router.get("", response_model=ListSharingOut)
def list_accesses(request: Request, caller: CallerDep, library_id: UUID) -> ListSharingOut:
    """Everyone with access to the library and at which level, owner included."""
    shares = services(request).sharing.list(caller, library_id)
    return ListSharingOut(data=[SharingOut.from_share(s) for s in shares])


@router.put("", response_model=SharingOut)
def update_or_create_access(
    request: Request, caller: CallerDep, library_id: UUID, body: SharingIn
) -> SharingOut:
    """Grant or change a level (Owner only; never to the owner, never outside the org)."""
    share = services(request).sharing.share(
        caller,
        library_id,
        ShareTarget(body.share_with_type),
        body.share_with_uuid,
        role_for_level(body.level),
        org_id=body.org_id,
    )
    return SharingOut.from_share(share)


@router.delete("", response_model=SharingOut)
def delete_access(
    request: Request, caller: CallerDep, library_id: UUID, body: SharingDeleteIn
) -> SharingOut:
    """Remove a grant (Owner), or the caller's own access; answers the removed grant."""
    share = services(request).sharing.unshare(
        caller,
        library_id,
        ShareTarget(body.share_with_type),
        body.share_with_uuid,
        org_id=body.org_id,
    )
    return SharingOut.from_share(share)
