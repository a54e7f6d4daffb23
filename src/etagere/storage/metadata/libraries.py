"""Libraries in the metadata store, with the caller's role resolved in SQL.

``role_column`` is the single statement of who may see a library and with which role; both
fetching one library and listing many go through it, so the two can never disagree. A library's
sharing summary (grant counts, org-wide role) is read in the same statement.

The caller enters these statements as bind parameters (``caller_params``), not as literals, so
the one-library statement is built once per process: every request checks access, and building
and cache-keying the SQL expression anew cost more than running it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.model import (
    Caller,
    Library,
    LibraryView,
    OwnerType,
    Role,
    ShareTarget,
    SharingSummary,
)
from etagere.storage.metadata.schema import libraries, library_shares, workspace_members

_LIBRARY_COLUMNS = [c for c in libraries.c]


@dataclass(frozen=True)
class ListingQuery:
    """What a caller asked to list: a name filter, ownership filter and a window."""

    search: str | None = None
    owned_by_me: bool = False
    after: tuple[datetime, UUID] | None = None
    offset: int = 0
    limit: int = 100


_CALLER_USER = sa.bindparam("caller_user", type_=libraries.c.owner_id.type)
_CALLER_ORG = sa.bindparam("caller_org", type_=libraries.c.org_id.type)


def caller_params(caller: Caller) -> dict[str, UUID]:
    """The bind parameters of ``role_column``'s statements for this caller."""
    return {"caller_user": caller.user_id, "caller_org": caller.org_id}


def role_column() -> sa.ColumnElement[int | None]:
    """The caller's role on each library row as an integer (``Role``), NULL when invisible.

    Nothing crosses an organization. The owner (the user of a User library, the creator of a
    Workspace library) is Owner; members of the owning workspace are Editors; grants add to
    that, and the highest role that reaches the caller wins (grants are Viewer or Editor only).
    """
    member_of = sa.select(workspace_members.c.workspace_id).where(
        workspace_members.c.user_id == _CALLER_USER
    )
    granted = _granted_role(member_of)
    is_user_owned = libraries.c.owner_type == OwnerType.USER.value
    is_workspace_owned = libraries.c.owner_type == OwnerType.WORKSPACE.value
    return sa.case(
        (libraries.c.org_id != _CALLER_ORG, sa.null()),
        (sa.and_(is_user_owned, libraries.c.owner_id == _CALLER_USER), Role.OWNER.value),
        (sa.and_(is_workspace_owned, libraries.c.created_by == _CALLER_USER), Role.OWNER.value),
        (
            sa.or_(
                sa.and_(is_workspace_owned, libraries.c.owner_id.in_(member_of)),
                granted >= Role.EDITOR.value,
            ),
            Role.EDITOR.value,
        ),
        else_=granted,
    ).label("role")


def _granted_role(member_of: sa.Select[tuple[UUID]]) -> sa.ScalarSelect[int | None]:
    """The highest grant on the library row reaching the caller: directly, by workspace, by org."""
    target = library_shares.c.target_type
    reaches = sa.or_(
        sa.and_(target == ShareTarget.USER.value, library_shares.c.target_id == _CALLER_USER),
        sa.and_(target == ShareTarget.WORKSPACE.value, library_shares.c.target_id.in_(member_of)),
        sa.and_(target == ShareTarget.ORG.value, library_shares.c.target_id == _CALLER_ORG),
    )
    return (
        sa.select(sa.func.max(library_shares.c.role))
        .where(library_shares.c.library_id == libraries.c.id, reaches)
        .scalar_subquery()
    )


def _sharing_columns() -> list[sa.ColumnElement[Any]]:
    """Per library row: how many users and workspaces hold a grant, and the org-wide role."""

    def grants(target: ShareTarget, value: sa.ColumnElement[Any]) -> sa.ScalarSelect[Any]:
        return (
            sa.select(value)
            .where(
                library_shares.c.library_id == libraries.c.id,
                library_shares.c.target_type == target.value,
            )
            .scalar_subquery()
        )

    count = sa.func.count()
    return [
        grants(ShareTarget.USER, count).label("user_grants"),
        grants(ShareTarget.WORKSPACE, count).label("workspace_grants"),
        grants(ShareTarget.ORG, sa.func.max(library_shares.c.role)).label("org_role"),
    ]


def insert_library(conn: Connection, library: Library) -> None:
    values = {c.name: getattr(library, c.name) for c in _LIBRARY_COLUMNS}
    values["owner_type"] = library.owner_type.value
    conn.execute(libraries.insert().values(**values))


def library_with_role(
    conn: Connection, caller: Caller, library_id: UUID, *, for_update: bool = False
) -> tuple[Library, Role | None, SharingSummary] | None:
    """The library, the caller's role on it (None if invisible) and its sharing summary."""
    locking = for_update and conn.dialect.name == "postgresql"
    query = _ONE_LIBRARY_FOR_UPDATE if locking else _ONE_LIBRARY
    row = conn.execute(query, {"library_id": library_id, **caller_params(caller)}).first()
    if row is None:
        return None
    role = Role(row.role) if row.role is not None else None
    return _library(row._mapping), role, _summary(row._mapping)


def list_visible(conn: Connection, caller: Caller, listing: ListingQuery) -> list[LibraryView]:
    """Visible libraries as the caller sees them, newest first, after a cursor or an offset."""
    role = role_column()
    query = (
        sa.select(*_LIBRARY_COLUMNS, role, *_sharing_columns())
        .where(*_visible_filters(listing, role))
        .order_by(libraries.c.created_at.desc(), libraries.c.id.desc())
        .limit(listing.limit)
    )
    if listing.after is not None:
        query = query.where(
            sa.tuple_(libraries.c.created_at, libraries.c.id) < sa.tuple_(*listing.after)
        )
    elif listing.offset:
        query = query.offset(listing.offset)
    return [
        LibraryView(
            library=_library(row._mapping), role=Role(row.role), sharing=_summary(row._mapping)
        )
        for row in conn.execute(query, caller_params(caller))
    ]


def count_visible(conn: Connection, caller: Caller, listing: ListingQuery) -> int:
    role = role_column()
    query = (
        sa.select(sa.func.count()).select_from(libraries).where(*_visible_filters(listing, role))
    )
    return int(conn.execute(query, caller_params(caller)).scalar_one())


def update_library(conn: Connection, library_id: UUID, values: dict[str, Any]) -> None:
    conn.execute(libraries.update().where(libraries.c.id == library_id).values(**values))


def delete_library(conn: Connection, library_id: UUID) -> None:
    conn.execute(libraries.delete().where(libraries.c.id == library_id))


def _visible_filters(
    listing: ListingQuery, role: sa.ColumnElement[int | None]
) -> list[sa.ColumnElement[bool]]:
    filters = [libraries.c.org_id == _CALLER_ORG, role.is_not(None)]
    if listing.search:
        filters.append(libraries.c.name.icontains(listing.search, autoescape=True))
    if listing.owned_by_me:
        filters.append(role == Role.OWNER.value)
    return filters


_ONE_LIBRARY = sa.select(*_LIBRARY_COLUMNS, role_column(), *_sharing_columns()).where(
    libraries.c.id == sa.bindparam("library_id", type_=libraries.c.id.type)
)
# FOR NO KEY UPDATE (PostgreSQL): serialises writers of this library (counters, deletes) but not
# the foreign-key checks of workers inserting a document's chunks, which take KEY SHARE; a plain
# FOR UPDATE deadlocks with them (a delete waits on the worker's job row while the worker waits
# on the library row).
_ONE_LIBRARY_FOR_UPDATE = _ONE_LIBRARY.with_for_update(of=libraries, key_share=True)


def _library(row: Any) -> Library:
    values = {c.name: row[c.name] for c in _LIBRARY_COLUMNS}
    values["owner_type"] = OwnerType(values["owner_type"])
    return Library(**values)


def _summary(row: Any) -> SharingSummary:
    org_role = row["org_role"]
    return SharingSummary(
        user_grants=int(row["user_grants"]),
        workspace_grants=int(row["workspace_grants"]),
        org_role=Role(org_role) if org_role is not None else None,
    )
