"""Web console sessions in the metadata store: a hashed cookie secret bound to one API key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.engine import Connection

from etagere.core.model import Caller
from etagere.storage.metadata.identities import active_callers, caller_from_row
from etagere.storage.metadata.schema import api_keys, console_sessions


def insert_session(
    conn: Connection, token_hash: str, key_id: UUID, csrf_token: str, at: datetime
) -> None:
    conn.execute(
        console_sessions.insert().values(
            token_hash=token_hash,
            key_id=key_id,
            csrf_token=csrf_token,
            created_at=at,
            last_seen_at=at,
        )
    )


def session_caller(
    conn: Connection, token_hash: str, seen_after: datetime
) -> tuple[Caller, str, datetime] | None:
    """The caller, CSRF token and last activity of a live session whose key still works."""
    query = (
        active_callers()
        .add_columns(console_sessions.c.csrf_token, console_sessions.c.last_seen_at)
        .join(console_sessions, console_sessions.c.key_id == api_keys.c.id)
        .where(
            console_sessions.c.token_hash == token_hash,
            console_sessions.c.last_seen_at > seen_after,
        )
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return caller_from_row(row), str(row.csrf_token), row.last_seen_at


def touch_session(conn: Connection, token_hash: str, at: datetime) -> None:
    conn.execute(
        console_sessions.update()
        .where(console_sessions.c.token_hash == token_hash)
        .values(last_seen_at=at)
    )


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(console_sessions.delete().where(console_sessions.c.token_hash == token_hash))


def delete_idle_sessions(conn: Connection, seen_before: datetime) -> int:
    result = conn.execute(
        console_sessions.delete().where(console_sessions.c.last_seen_at <= seen_before)
    )
    return int(result.rowcount)


def delete_sessions_of_key(conn: Connection, key_id: UUID) -> None:
    conn.execute(console_sessions.delete().where(console_sessions.c.key_id == key_id))
