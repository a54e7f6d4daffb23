"""What a library's generated name and description are made from, and where they are kept."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import Connection

from etagere.storage.metadata.schema import documents, libraries

# The newest documents are enough to say what a library is about, and keep the refresh cheap.
PROFILE_DOCUMENTS = 300


@dataclass(frozen=True)
class DocumentGist:
    name: str
    summary: str | None
    mime_type: str | None


def document_gists(conn: Connection, library_id: UUID) -> list[DocumentGist]:
    """Name, summary and type of the library's newest processed documents."""
    rows = conn.execute(
        sa.select(documents.c.name, documents.c.summary, documents.c.mime_type)
        .where(documents.c.library_id == library_id, documents.c.process_status == "done")
        .order_by(documents.c.created_at.desc(), documents.c.id)
        .limit(PROFILE_DOCUMENTS)
    )
    return [DocumentGist(r.name, r.summary, r.mime_type) for r in rows]


def set_generated(
    conn: Connection, library_id: UUID, name: str | None, description: str | None
) -> None:
    """Store the generated fields only (the user's ``name``/``description`` are never touched)."""
    conn.execute(
        sa.update(libraries)
        .where(libraries.c.id == library_id)
        .values(generated_name=name, generated_description=description)
    )
