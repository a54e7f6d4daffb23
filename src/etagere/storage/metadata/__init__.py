"""The metadata store: SQLAlchemy Core over SQLite (embedded) or PostgreSQL (server mode).

``Connection`` is re-exported as the opaque transaction handle that the domain passes back to
the store's functions; the domain never builds SQL with it.
"""

from sqlalchemy.engine import Connection

from etagere.storage.metadata.database import Database

__all__ = ["Connection", "Database"]
