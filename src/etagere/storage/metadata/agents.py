"""SQL for agents and their immutable versions (a version's configuration is stored as JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.storage.metadata.schema import agent_versions, agents


@dataclass(frozen=True)
class AgentRow:
    """An agent's identity and current version, with the configuration of ``version``."""

    id: UUID
    org_id: UUID
    workspace_id: UUID
    created_by: UUID
    version: int
    versions: list[int]
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def insert_agent(conn: Connection, row: AgentRow) -> None:
    conn.execute(
        agents.insert().values(
            id=row.id,
            org_id=row.org_id,
            workspace_id=row.workspace_id,
            created_by=row.created_by,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
    )
    insert_version(conn, row.id, row.version, row.config, row.updated_at)


def insert_version(
    conn: Connection, agent_id: UUID, version: int, config: dict[str, Any], at: datetime
) -> None:
    conn.execute(
        agent_versions.insert().values(
            agent_id=agent_id, version=version, config=config, created_at=at
        )
    )


def set_current_version(conn: Connection, agent_id: UUID, version: int, at: datetime) -> None:
    conn.execute(
        agents.update().where(agents.c.id == agent_id).values(version=version, updated_at=at)
    )


def get_agent(
    conn: Connection,
    workspace_id: UUID,
    agent_id: UUID,
    version: int | None = None,
    *,
    for_update: bool = False,
) -> AgentRow | None:
    """The agent as seen from ``workspace_id`` (``None`` if absent or in another workspace)."""
    query = sa.select(agents).where(agents.c.id == agent_id, agents.c.workspace_id == workspace_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        return None
    versions = _versions(conn, agent_id)
    wanted = row.version if version is None else version
    if wanted not in versions:
        return None
    return _row(row, versions, versions[wanted])


def list_agents(
    conn: Connection, workspace_id: UUID, offset: int, limit: int, search: str | None = None
) -> list[AgentRow]:
    """A page of the workspace's agents, newest first, each at its current version."""
    query = (
        sa.select(agents, agent_versions.c.config)
        .join(
            agent_versions,
            sa.and_(
                agent_versions.c.agent_id == agents.c.id,
                agent_versions.c.version == agents.c.version,
            ),
        )
        .where(agents.c.workspace_id == workspace_id)
        .order_by(agents.c.created_at.desc(), agents.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    found = []
    for row in conn.execute(query):
        config = dict(row.config)
        if search and search.lower() not in f"{config.get('name', '')} {row.id}".lower():
            continue
        found.append(_row(row, list(_versions(conn, row.id)), config))
    return found


def list_versions(conn: Connection, agent: AgentRow, offset: int, limit: int) -> list[AgentRow]:
    """A page of an agent's versions, oldest first, each as a full agent."""
    query = (
        sa.select(agent_versions)
        .where(agent_versions.c.agent_id == agent.id)
        .order_by(agent_versions.c.version)
        .offset(offset)
        .limit(limit)
    )
    return [
        AgentRow(
            id=agent.id,
            org_id=agent.org_id,
            workspace_id=agent.workspace_id,
            created_by=agent.created_by,
            version=row.version,
            versions=agent.versions,
            config=dict(row.config),
            created_at=agent.created_at,
            updated_at=row.created_at,
        )
        for row in conn.execute(query)
    ]


def delete_agent(conn: Connection, agent_id: UUID) -> None:
    conn.execute(agent_versions.delete().where(agent_versions.c.agent_id == agent_id))
    conn.execute(agents.delete().where(agents.c.id == agent_id))


def _versions(conn: Connection, agent_id: UUID) -> dict[int, dict[str, Any]]:
    query = (
        sa.select(agent_versions.c.version, agent_versions.c.config)
        .where(agent_versions.c.agent_id == agent_id)
        .order_by(agent_versions.c.version)
    )
    return {row.version: dict(row.config) for row in conn.execute(query)}


def _row(row: Any, versions: Any, config: dict[str, Any]) -> AgentRow:
    return AgentRow(
        id=row.id,
        org_id=row.org_id,
        workspace_id=row.workspace_id,
        created_by=row.created_by,
        version=row.version,
        versions=list(versions),
        config=config,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
