"""Libraries in the metadata store, with the caller's role resolved in SQL.

``role_column`` is the single statement of who may see a library and with which role; both
fetching one library and listing many go through it, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.domain.model import Caller, Library, OwnerType, Role
from etagere.storage.metadata.schema import libraries, workspace_members

_LIBRARY_COLUMNS = [c for c in libraries.c]


@dataclass(frozen=True)
class ListingQuery:
    """What a caller asked to list: a name filter, ownership filter and a window."""

    search: str | None = None
    owned_by_me: bool = False
    after: tuple[datetime, UUID] | None = None
    offset: int = 0
    limit: int = 100


def role_column(caller: Caller) -> sa.ColumnElement[int | None]:
    """The caller's role on each library row as an integer (``Role``), NULL when invisible."""
    member_of = sa.select(workspace_members.c.workspace_id).where(
        workspace_members.c.user_id == caller.user_id
    )
    is_user_owned = libraries.c.owner_type == OwnerType.USER.value
    is_workspace_owned = libraries.c.owner_type == OwnerType.WORKSPACE.value
    return sa.case(
        (libraries.c.org_id != caller.org_id, sa.null()),
        (sa.and_(is_user_owned, libraries.c.owner_id == caller.user_id), Role.OWNER.value),
        (sa.and_(is_workspace_owned, libraries.c.created_by == caller.user_id), Role.OWNER.value),
        (sa.and_(is_workspace_owned, libraries.c.owner_id.in_(member_of)), Role.EDITOR.value),
        else_=sa.null(),
    ).label("role")


def insert_library(conn: Connection, library: Library) -> None:
    values = {c.name: getattr(library, c.name) for c in _LIBRARY_COLUMNS}
    values["owner_type"] = library.owner_type.value
    conn.execute(libraries.insert().values(**values))


def library_with_role(
    conn: Connection, caller: Caller, library_id: UUID, *, for_update: bool = False
) -> tuple[Library, Role | None] | None:
    """The library and the caller's role on it (None if it exists but is invisible)."""
    query = sa.select(*_LIBRARY_COLUMNS, role_column(caller)).where(libraries.c.id == library_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=libraries)
    row = conn.execute(query).first()
    if row is None:
        return None
    return _library(row._mapping), (Role(row.role) if row.role is not None else None)


def list_visible(
    conn: Connection, caller: Caller, listing: ListingQuery
) -> list[tuple[Library, Role]]:
    """Visible libraries, newest first, after a keyset cursor or from an offset."""
    role = role_column(caller)
    query = (
        sa.select(*_LIBRARY_COLUMNS, role)
        .where(*_visible_filters(caller, listing, role))
        .order_by(libraries.c.created_at.desc(), libraries.c.id.desc())
        .limit(listing.limit)
    )
    if listing.after is not None:
        query = query.where(
            sa.tuple_(libraries.c.created_at, libraries.c.id) < sa.tuple_(*listing.after)
        )
    elif listing.offset:
        query = query.offset(listing.offset)
    return [(_library(row._mapping), Role(row.role)) for row in conn.execute(query)]


def count_visible(conn: Connection, caller: Caller, listing: ListingQuery) -> int:
    role = role_column(caller)
    query = (
        sa.select(sa.func.count())
        .select_from(libraries)
        .where(*_visible_filters(caller, listing, role))
    )
    return int(conn.execute(query).scalar_one())


def update_library(conn: Connection, library_id: UUID, values: dict[str, Any]) -> None:
    conn.execute(libraries.update().where(libraries.c.id == library_id).values(**values))


def delete_library(conn: Connection, library_id: UUID) -> None:
    conn.execute(libraries.delete().where(libraries.c.id == library_id))


def _visible_filters(
    caller: Caller, listing: ListingQuery, role: sa.ColumnElement[int | None]
) -> list[sa.ColumnElement[bool]]:
    filters = [libraries.c.org_id == caller.org_id, role.is_not(None)]
    if listing.search:
        filters.append(libraries.c.name.icontains(listing.search, autoescape=True))
    if listing.owned_by_me:
        filters.append(role == Role.OWNER.value)
    return filters


def _library(row: Any) -> Library:
    values = {c.name: row[c.name] for c in _LIBRARY_COLUMNS}
    values["owner_type"] = OwnerType(values["owner_type"])
    return Library(**values)
