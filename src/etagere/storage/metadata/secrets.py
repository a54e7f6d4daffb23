"""Server-wide secrets kept in the metadata store, so every process of a cluster shares them."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from etagere.storage.metadata.schema import server_secrets


def get_or_create_secret(conn: Connection, name: str) -> str:
    """The secret called ``name``, created at random the first time it is asked for."""
    query = sa.select(server_secrets.c.value).where(server_secrets.c.name == name)
    value = conn.execute(query).scalar()
    if value is not None:
        return str(value)
    try:
        with conn.begin_nested():
            value = secrets.token_hex(32)
            conn.execute(server_secrets.insert().values(name=name, value=value))
    except IntegrityError:  # another process created it first: use theirs
        value = conn.execute(query).scalar_one()
    return str(value)
