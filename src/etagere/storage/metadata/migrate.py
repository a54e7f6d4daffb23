"""Run the Alembic migrations shipped inside the package.

Several processes may start at once against one PostgreSQL (server mode); an advisory lock
makes exactly one of them migrate while the others wait and then find nothing to do.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

# Any constant works; it only has to be the same in every etagere process.
MIGRATION_LOCK_ID = 0x6574_6167


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at ``etagere/storage/migrations``."""
    config = Config()
    config.set_main_option("script_location", str(files("etagere.storage") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration in one transaction."""
    with engine.connect() as conn:
        # On SQLite, BEGIN IMMEDIATE (see Database.write) serialises concurrent migrators.
        conn = conn.execution_options(etagere_write=True)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
            conn.commit()
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), "head")
        finally:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
                conn.commit()
