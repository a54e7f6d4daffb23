"""SQL for conversations and their entries (each entry kept as JSON, in order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.storage.metadata.schema import conversation_entries, conversations


@dataclass(frozen=True)
class ConversationRow:
    """A conversation's owner, agent (or model) and configuration."""

    id: UUID
    org_id: UUID
    user_id: UUID
    agent_id: UUID | None
    agent_version: int | None
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def insert_conversation(conn: Connection, row: ConversationRow) -> None:
    conn.execute(
        conversations.insert().values(
            id=row.id,
            org_id=row.org_id,
            user_id=row.user_id,
            agent_id=row.agent_id,
            agent_version=row.agent_version,
            config=row.config,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
    )


def get_conversation(
    conn: Connection, user_id: UUID, conversation_id: UUID, *, for_update: bool = False
) -> ConversationRow | None:
    """The conversation if ``user_id`` started it (conversations are private to their user)."""
    query = sa.select(conversations).where(
        conversations.c.id == conversation_id, conversations.c.user_id == user_id
    )
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    return None if row is None else _row(row)


def list_conversations(
    conn: Connection, user_id: UUID, offset: int, limit: int
) -> list[ConversationRow]:
    query = (
        sa.select(conversations)
        .where(conversations.c.user_id == user_id)
        .order_by(conversations.c.created_at.desc(), conversations.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [_row(row) for row in conn.execute(query)]


def entries(conn: Connection, conversation_id: UUID) -> list[dict[str, Any]]:
    query = (
        sa.select(conversation_entries.c.entry)
        .where(conversation_entries.c.conversation_id == conversation_id)
        .order_by(conversation_entries.c.seq)
    )
    return [dict(entry) for entry in conn.execute(query).scalars()]


def append_entries(
    conn: Connection, conversation_id: UUID, new: Sequence[dict[str, Any]], at: datetime
) -> None:
    """Add entries after the last one and touch the conversation's ``updated_at``."""
    last = conn.execute(
        sa.select(sa.func.max(conversation_entries.c.seq)).where(
            conversation_entries.c.conversation_id == conversation_id
        )
    ).scalar_one_or_none()
    start = 0 if last is None else last + 1
    for offset, entry in enumerate(new):
        conn.execute(
            conversation_entries.insert().values(
                id=UUID(entry["id"]),
                conversation_id=conversation_id,
                seq=start + offset,
                entry=entry,
                created_at=at,
            )
        )
    conn.execute(
        conversations.update().where(conversations.c.id == conversation_id).values(updated_at=at)
    )


def delete_conversation(conn: Connection, conversation_id: UUID) -> None:
    conn.execute(
        conversation_entries.delete().where(
            conversation_entries.c.conversation_id == conversation_id
        )
    )
    conn.execute(conversations.delete().where(conversations.c.id == conversation_id))


def _row(row: Any) -> ConversationRow:
    return ConversationRow(
        id=row.id,
        org_id=row.org_id,
        user_id=row.user_id,
        agent_id=row.agent_id,
        agent_version=row.agent_version,
        config=dict(row.config),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
