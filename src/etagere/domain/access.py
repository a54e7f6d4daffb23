"""The one door to library data: (caller, library id, needed role) -> library, or an error.

Every route, search, signed URL and agent tool obtains a library through ``require_library``.
Callers without any access get ``NotFound`` (a library's existence is never revealed);
callers whose role is too low get ``Forbidden``.
"""

from __future__ import annotations

from uuid import UUID

from etagere.core.errors import Forbidden, NotFound
from etagere.core.model import Caller, LibraryView, Role
from etagere.storage.metadata import Connection
from etagere.storage.metadata import libraries as library_store

_ACTION_NAMES = {Role.VIEWER: "read", Role.EDITOR: "edit", Role.OWNER: "manage"}


def require_library(
    conn: Connection, caller: Caller, library_id: UUID, needed: Role, *, for_update: bool = False
) -> LibraryView:
    """The library as the caller sees it, if the caller holds at least ``needed`` on it."""
    found = library_store.library_with_role(conn, caller, library_id, for_update=for_update)
    library, role, sharing = found if found is not None else (None, None, None)
    if library is None or role is None:
        raise NotFound(f"Library {library_id} not found")
    if role < needed:
        raise Forbidden(
            f"Your role on library {library_id} is {role.name.title()}; "
            f"{needed.name.title()} is needed to {_ACTION_NAMES[needed]} it"
        )
    return LibraryView(library=library, role=role, sharing=sharing)
