"""Organizations, workspaces, users and API keys in the metadata store."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.model import ApiKey, ApiKeyListing, Caller, Organization, User, Workspace
from etagere.storage.metadata.schema import (
    api_keys,
    organizations,
    users,
    workspace_members,
    workspaces,
)

# Every column but the hash: nothing that reads keys for display can leak it.
_KEY_COLUMNS = [c for c in api_keys.c if c.name != "key_hash"]


def insert_organization(conn: Connection, org: Organization) -> None:
    conn.execute(organizations.insert().values(id=org.id, name=org.name, created_at=org.created_at))


def insert_workspace(conn: Connection, ws: Workspace) -> None:
    conn.execute(
        workspaces.insert().values(
            id=ws.id, org_id=ws.org_id, name=ws.name, created_at=ws.created_at
        )
    )


def insert_user(conn: Connection, user: User) -> None:
    conn.execute(
        users.insert().values(
            id=user.id, org_id=user.org_id, email=user.email, created_at=user.created_at
        )
    )


def insert_membership(conn: Connection, workspace_id: UUID, user_id: UUID, at: datetime) -> None:
    conn.execute(
        workspace_members.insert().values(workspace_id=workspace_id, user_id=user_id, created_at=at)
    )


def delete_membership(conn: Connection, workspace_id: UUID, user_id: UUID) -> bool:
    """Remove a user from a workspace; False if it was not a member."""
    result = conn.execute(
        workspace_members.delete().where(
            workspace_members.c.workspace_id == workspace_id,
            workspace_members.c.user_id == user_id,
        )
    )
    return result.rowcount > 0


def insert_api_key(conn: Connection, key: ApiKey, key_hash: str) -> None:
    conn.execute(
        api_keys.insert().values(
            id=key.id,
            user_id=key.user_id,
            workspace_id=key.workspace_id,
            name=key.name,
            prefix=key.prefix,
            key_hash=key_hash,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )
    )


# Arbitrary constant naming the first-start bootstrap among PostgreSQL advisory locks.
BOOTSTRAP_LOCK_ID = 0x657461_0002


def lock_bootstrap(conn: Connection) -> None:
    """Serialise first-start bootstraps of processes starting at once on one database.

    On PostgreSQL two transactions would both see no organization and both create one; a
    transaction-level advisory lock makes the second wait and then see the first's. SQLite
    writers are already serialised by ``BEGIN IMMEDIATE``.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK_ID})")


def count_organizations(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(organizations)).scalar_one())


def find_organization(conn: Connection, ref: str) -> Organization | None:
    """An organization by id or by name."""
    row = conn.execute(sa.select(organizations).where(_id_or(organizations.c.name, ref))).first()
    return Organization(**row._mapping) if row else None


def find_workspace(conn: Connection, org_id: UUID, ref: str) -> Workspace | None:
    """A workspace of ``org_id`` by id or by name."""
    query = sa.select(workspaces).where(
        workspaces.c.org_id == org_id, _id_or(workspaces.c.name, ref)
    )
    row = conn.execute(query).first()
    return Workspace(**row._mapping) if row else None


def find_user(conn: Connection, ref: str, org_id: UUID | None = None) -> list[User]:
    """Users matching an id or an e-mail address (e-mails are unique per organization only)."""
    query = sa.select(users).where(_id_or(users.c.email, ref))
    if org_id is not None:
        query = query.where(users.c.org_id == org_id)
    return [User(**row._mapping) for row in conn.execute(query)]


def user_workspaces(conn: Connection, user_id: UUID) -> list[Workspace]:
    query = (
        sa.select(workspaces)
        .join(workspace_members, workspace_members.c.workspace_id == workspaces.c.id)
        .where(workspace_members.c.user_id == user_id)
        .order_by(workspaces.c.created_at)
    )
    return [Workspace(**row._mapping) for row in conn.execute(query)]


def is_member(conn: Connection, workspace_id: UUID, user_id: UUID) -> bool:
    query = sa.select(workspace_members.c.user_id).where(
        workspace_members.c.workspace_id == workspace_id, workspace_members.c.user_id == user_id
    )
    return conn.execute(query).first() is not None


def caller_for_key_hash(conn: Connection, key_hash: str) -> Caller | None:
    """The identity behind an active (not revoked) key whose user still belongs to its workspace."""
    row = conn.execute(_CALLER_BY_KEY_HASH, {"key_hash": key_hash}).first()
    return caller_from_row(row) if row is not None else None


def active_callers() -> sa.Select[tuple[UUID, UUID, UUID, UUID]]:
    """Callers of keys that still work: not revoked, user still in the key's workspace.

    Console sessions reuse it, so a session ends the moment its key stops working.
    """
    return (
        sa.select(api_keys.c.id, api_keys.c.user_id, api_keys.c.workspace_id, users.c.org_id)
        .join(users, users.c.id == api_keys.c.user_id)
        .join(
            workspace_members,
            sa.and_(
                workspace_members.c.workspace_id == api_keys.c.workspace_id,
                workspace_members.c.user_id == api_keys.c.user_id,
            ),
        )
        .where(api_keys.c.revoked_at.is_(None))
    )


# Built once: every request authenticates, and building the statement cost more than running it.
_CALLER_BY_KEY_HASH = active_callers().where(api_keys.c.key_hash == sa.bindparam("key_hash"))


def caller_from_row(row: sa.Row[tuple[UUID, UUID, UUID, UUID]]) -> Caller:
    return Caller(
        user_id=row.user_id, org_id=row.org_id, workspace_id=row.workspace_id, key_id=row.id
    )


def org_directory(conn: Connection, org_id: UUID) -> tuple[list[User], list[Workspace]]:
    """The users and workspaces of one organization (what a library can be shared with)."""
    found_users = conn.execute(
        sa.select(users).where(users.c.org_id == org_id).order_by(users.c.email)
    )
    found_workspaces = conn.execute(
        sa.select(workspaces).where(workspaces.c.org_id == org_id).order_by(workspaces.c.name)
    )
    return (
        [User(**row._mapping) for row in found_users],
        [Workspace(**row._mapping) for row in found_workspaces],
    )


def find_api_key(conn: Connection, key_id: UUID) -> ApiKey | None:
    row = conn.execute(sa.select(*_KEY_COLUMNS).where(api_keys.c.id == key_id)).first()
    return ApiKey(**row._mapping) if row else None


def revoke_api_key(conn: Connection, key_id: UUID, at: datetime) -> None:
    """Mark a key revoked (at once: ``caller_for_key_hash`` ignores revoked keys)."""
    conn.execute(
        api_keys.update()
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def list_api_keys(conn: Connection, user_id: UUID | None = None) -> list[ApiKeyListing]:
    """Keys (never their hashes) with their user's e-mail and workspace's name, oldest first."""
    query = (
        sa.select(*_KEY_COLUMNS, users.c.email, workspaces.c.name.label("workspace_name"))
        .join(users, users.c.id == api_keys.c.user_id)
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    if user_id is not None:
        query = query.where(api_keys.c.user_id == user_id)
    listings = []
    for row in conn.execute(query):
        values = dict(row._mapping)
        email, workspace_name = values.pop("email"), values.pop("workspace_name")
        listings.append(
            ApiKeyListing(key=ApiKey(**values), user_email=email, workspace_name=workspace_name)
        )
    return listings


def _id_or(column: sa.ColumnElement[str], ref: str) -> sa.ColumnElement[bool]:
    """Match ``ref`` as the row's UUID when it parses as one, else against ``column``."""
    table = column.table
    try:
        return sa.or_(table.c.id == UUID(ref), column == ref)
    except ValueError:
        return column == ref
