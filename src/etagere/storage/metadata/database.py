"""Engine set-up for both backends and the transaction helpers every repository uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from etagere.core.errors import Duplicate, StoreUnavailable
from etagere.core.extras import require_extra
from etagere.storage.metadata.migrate import upgrade_to_head

# How long a SQLite writer waits for another writer before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 15_000


def normalise_url(url: str) -> str:
    """Accept the URLs users paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """A connection pool to the metadata store, with read and write transactions.

    On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` so that concurrent writers
    queue on the busy timeout instead of failing when a read lock cannot be upgraded.
    """

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine: Engine = _create_engine(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the latest migration (safe to call from many processes)."""
        upgrade_to_head(self.engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for queries only."""
        with translated_errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any exception."""
        with translated_errors(), self.engine.connect() as conn:
            conn = conn.execution_options(etagere_write=True)
            with conn.begin():
                yield conn

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.read() as conn:
            conn.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def translated_errors() -> Iterator[None]:
    """Database errors as domain errors, once, here: nothing above storage knows SQLAlchemy.

    A unique-key clash is a lost race the caller can resolve (``Duplicate``); a store that is
    down, locked or cut off is ``StoreUnavailable``. Anything else is a bug and stays as it is.
    """
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise Duplicate(f"already stored by another transaction: {_reason(exc)}") from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
        raise StoreUnavailable(f"metadata store unavailable: {_reason(exc)}") from exc


def _reason(exc: sa_exc.SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).splitlines() or [type(original).__name__])[0][:200]


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url)
    if url.startswith("postgresql+psycopg"):
        require_extra("psycopg", "postgres", "A PostgreSQL database URL")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _create_sqlite_engine(url: str) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("etagere_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
