"""Sharing rules: who may list, grant, change and remove access to a library.

Only the owner grants, changes levels and removes other people's access; anyone with access may
list it and remove their own direct grant. The owner cannot change or remove itself, and nothing
is shared outside the library's organization. Every call obtains the library through
``require_library``; who a grant reaches is decided in SQL by ``libraries.role_column``.
"""

from __future__ import annotations

import uuid

from etagere.core.errors import Conflict, InvalidInput, NotFound
from etagere.core.model import Caller, Library, OwnerType, Role, Share, ShareTarget
from etagere.domain.access import require_library
from etagere.storage.metadata import Database
from etagere.storage.metadata import shares as store
from etagere.storage.metadata.types import utcnow

GRANTABLE = (Role.VIEWER, Role.EDITOR)

_TARGET_NAMES = {
    ShareTarget.USER: "User",
    ShareTarget.WORKSPACE: "Workspace",
    ShareTarget.ORG: "Organization",
}


class SharingService:
    """A library's access list, always reached through ``require_library``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, caller: Caller, library_id: uuid.UUID) -> list[Share]:
        """The owner entries, then every grant (anyone who can see the library may list them)."""
        with self.db.read() as conn:
            library = require_library(conn, caller, library_id, Role.VIEWER).library
            grants = store.list_grants(conn, library_id)
        return owner_entries(library) + grants

    def share(
        self,
        caller: Caller,
        library_id: uuid.UUID,
        target_type: ShareTarget,
        target_id: uuid.UUID,
        level: Role,
        org_id: uuid.UUID | None = None,
    ) -> Share:
        """Grant ``level`` to a user, workspace or the whole org, or change an existing grant."""
        if level not in GRANTABLE:
            raise InvalidInput("level must be Viewer or Editor", ("body", "level"))
        with self.db.write() as conn:
            library = require_library(conn, caller, library_id, Role.OWNER, for_update=True).library
            _check_org(library, org_id)
            if _is_owner(library, target_type, target_id):
                raise Conflict(_owner_message(library, target_type))
            if not store.target_in_org(conn, target_type, target_id, library.org_id):
                raise NotFound(
                    f"{_TARGET_NAMES[target_type]} {target_id} not found in this organization"
                )
            store.upsert_grant(
                conn,
                library_id,
                target_type,
                target_id,
                level,
                granted_by=caller.user_id,
                at=utcnow(),
            )
        return Share(library_id, library.org_id, target_type, target_id, level)

    def unshare(
        self,
        caller: Caller,
        library_id: uuid.UUID,
        target_type: ShareTarget,
        target_id: uuid.UUID,
        org_id: uuid.UUID | None = None,
    ) -> Share:
        """Remove a grant (owner), or the caller's own direct grant (anyone); answer the grant."""
        with self.db.write() as conn:
            library = require_library(
                conn, caller, library_id, Role.VIEWER, for_update=True
            ).library
            _check_org(library, org_id)
            removing_self = target_type is ShareTarget.USER and target_id == caller.user_id
            if not removing_self:
                require_library(conn, caller, library_id, Role.OWNER)
            if _is_owner(library, target_type, target_id):
                raise Conflict(_owner_message(library, target_type))
            role = store.grant_role(conn, library_id, target_type, target_id)
            if role is None:
                raise NotFound(
                    f"Library {library_id} is not shared with "
                    f"{_TARGET_NAMES[target_type]} {target_id}"
                )
            store.delete_grant(conn, library_id, target_type, target_id)
        return Share(library_id, library.org_id, target_type, target_id, role)


def owner_entries(library: Library) -> list[Share]:
    """The access-list lines of a library's owner.

    A User library is owned by its user. A Workspace library is owned by the workspace (whose
    members act as Editors) and by the user who created it (who alone shares and deletes), so
    both are listed as Owner.
    """
    entries = [
        Share(
            library.id,
            library.org_id,
            ShareTarget(library.owner_type.value),
            library.owner_id,
            Role.OWNER,
        )
    ]
    if library.owner_type is OwnerType.WORKSPACE:
        entries.append(
            Share(library.id, library.org_id, ShareTarget.USER, library.created_by, Role.OWNER)
        )
    return entries


def _is_owner(library: Library, target_type: ShareTarget, target_id: uuid.UUID) -> bool:
    return any(
        entry.target_type is target_type and entry.target_id == target_id
        for entry in owner_entries(library)
    )


def _owner_message(library: Library, target_type: ShareTarget) -> str:
    if target_type is ShareTarget.WORKSPACE:
        return (
            f"Library {library.id} belongs to this workspace, whose members are already "
            "Editors; its access cannot be changed"
        )
    return f"The owner of library {library.id} cannot change or remove their own access"


def _check_org(library: Library, org_id: uuid.UUID | None) -> None:
    """The deprecated ``org_id`` of a request, when sent, must be the library's organization."""
    if org_id is not None and org_id != library.org_id:
        raise InvalidInput(
            "A library cannot be shared outside its organization", ("body", "org_id")
        )
