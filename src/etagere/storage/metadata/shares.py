"""Library grants in the metadata store, and the checks that a share target exists in an org.

Who a grant reaches is decided in ``libraries.role_column``; this module only stores grants.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.model import Role, Share, ShareTarget
from etagere.storage.metadata.schema import libraries, library_shares, users, workspaces


def list_grants(conn: Connection, library_id: UUID) -> list[Share]:
    """Every grant on a library: the org first, then workspaces, then users; oldest first."""
    query = (
        sa.select(library_shares, libraries.c.org_id)
        .join(libraries, libraries.c.id == library_shares.c.library_id)
        .where(library_shares.c.library_id == library_id)
        .order_by(library_shares.c.created_at, library_shares.c.target_id)
    )
    order = {ShareTarget.ORG: 0, ShareTarget.WORKSPACE: 1, ShareTarget.USER: 2}
    grants = [
        Share(
            library_id=row.library_id,
            org_id=row.org_id,
            target_type=ShareTarget(row.target_type),
            target_id=row.target_id,
            role=Role(row.role),
        )
        for row in conn.execute(query)
    ]
    return sorted(grants, key=lambda share: order[share.target_type])


def grant_role(
    conn: Connection, library_id: UUID, target_type: ShareTarget, target_id: UUID
) -> Role | None:
    """The role granted to exactly this target (not what reaches it indirectly)."""
    row = conn.execute(
        sa.select(library_shares.c.role).where(*_key(library_id, target_type, target_id))
    ).first()
    return Role(row.role) if row is not None else None


def upsert_grant(
    conn: Connection,
    library_id: UUID,
    target_type: ShareTarget,
    target_id: UUID,
    role: Role,
    *,
    granted_by: UUID,
    at: datetime,
) -> None:
    """Create the grant, or change its role (the caller holds the library's row lock)."""
    if grant_role(conn, library_id, target_type, target_id) is None:
        conn.execute(
            library_shares.insert().values(
                library_id=library_id,
                target_type=target_type.value,
                target_id=target_id,
                role=role.value,
                granted_by=granted_by,
                created_at=at,
                updated_at=at,
            )
        )
    else:
        conn.execute(
            library_shares.update()
            .where(*_key(library_id, target_type, target_id))
            .values(role=role.value, granted_by=granted_by, updated_at=at)
        )


def delete_grant(
    conn: Connection, library_id: UUID, target_type: ShareTarget, target_id: UUID
) -> bool:
    """Remove one grant; False if there was none."""
    result = conn.execute(library_shares.delete().where(*_key(library_id, target_type, target_id)))
    return result.rowcount > 0


def target_in_org(
    conn: Connection, target_type: ShareTarget, target_id: UUID, org_id: UUID
) -> bool:
    """Whether the user, workspace or organization ``target_id`` exists inside ``org_id``."""
    if target_type is ShareTarget.ORG:
        return target_id == org_id
    table = users if target_type is ShareTarget.USER else workspaces
    query = sa.select(table.c.id).where(table.c.id == target_id, table.c.org_id == org_id)
    return conn.execute(query).first() is not None


def _key(
    library_id: UUID, target_type: ShareTarget, target_id: UUID
) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        library_shares.c.library_id == library_id,
        library_shares.c.target_type == target_type.value,
        library_shares.c.target_id == target_id,
    )
