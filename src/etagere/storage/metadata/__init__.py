"""The metadata store: SQLAlchemy Core over SQLite (embedded) or PostgreSQL (server mode)."""

from etagere.storage.metadata.database import Database

__all__ = ["Database"]
