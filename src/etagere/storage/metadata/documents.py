"""Documents and their extracted text in the metadata store.

Library counters (``nb_documents``, ``total_size``) change in the same transaction as the
document rows, with relative updates, so they stay exact under concurrent uploads and deletes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.filters import Filter
from etagere.core.model import Document, DocumentText, PageRange, ProcessStatus
from etagere.storage.metadata.filters import compile_filter
from etagere.storage.metadata.schema import document_texts, documents, libraries

_COLUMNS = list(documents.c)

SortField = Literal["created_at", "name", "size", "last_processed_at"]


@dataclass(frozen=True)
class DocumentListing:
    """A window over one library's documents."""

    search: str | None = None
    where: Filter | None = None
    sort_by: SortField = "created_at"
    descending: bool = True
    offset: int = 0
    limit: int = 100


def insert_document(conn: Connection, doc: Document) -> None:
    values = {c.name: getattr(doc, c.name) for c in _COLUMNS}
    values["process_status"] = doc.process_status.value
    conn.execute(documents.insert().values(**values))
    _adjust_counters(conn, doc.library_id, +1, doc.size)


def delete_document(conn: Connection, doc: Document) -> bool:
    """Delete the row (text and job cascade); False if another transaction deleted it first."""
    deleted = conn.execute(documents.delete().where(documents.c.id == doc.id)).rowcount
    if deleted:
        _adjust_counters(conn, doc.library_id, -1, -doc.size)
    return bool(deleted)


def find_by_hash(conn: Connection, library_id: UUID, digest: str) -> Document | None:
    query = sa.select(*_COLUMNS).where(
        documents.c.library_id == library_id, documents.c.hash == digest
    )
    row = conn.execute(query).first()
    return _document(row._mapping) if row else None


def get_document(
    conn: Connection, document_id: UUID, library_id: UUID | None = None, *, lock: bool = False
) -> Document | None:
    """A document; with ``lock``, its row is held (FOR NO KEY UPDATE) until the transaction ends.

    Lock order everywhere: library, then document, then job. Deletes cascade in that order,
    so a worker must hold the document before its job, or the two deadlock.
    """
    query = sa.select(*_COLUMNS).where(documents.c.id == document_id)
    if library_id is not None:
        query = query.where(documents.c.library_id == library_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    row = conn.execute(query).first()
    return _document(row._mapping) if row else None


def list_documents(
    conn: Connection, library_id: UUID, listing: DocumentListing
) -> tuple[list[Document], int]:
    """One page of a library's documents and the total matching the filters."""
    filters = _filters(library_id, listing, conn.dialect.name)
    column = documents.c[listing.sort_by]
    order = column.desc() if listing.descending else column.asc()
    nulls = order.nulls_last() if listing.sort_by == "last_processed_at" else order
    query = (
        sa.select(*_COLUMNS)
        .where(*filters)
        .order_by(nulls, documents.c.id.desc() if listing.descending else documents.c.id)
        .offset(listing.offset)
        .limit(listing.limit)
    )
    rows = [_document(row._mapping) for row in conn.execute(query)]
    total = conn.execute(sa.select(sa.func.count()).select_from(documents).where(*filters))
    return rows, int(total.scalar_one())


def update_document(conn: Connection, document_id: UUID, values: dict[str, Any]) -> None:
    if isinstance(values.get("process_status"), ProcessStatus):
        values = {**values, "process_status": values["process_status"].value}
    conn.execute(documents.update().where(documents.c.id == document_id).values(**values))


def expired_documents(conn: Connection, now: datetime, limit: int = 100) -> list[Document]:
    query = (
        sa.select(*_COLUMNS)
        .where(documents.c.expires_at.is_not(None), documents.c.expires_at <= now)
        .limit(limit)
    )
    return [_document(row._mapping) for row in conn.execute(query)]


def blob_keys_of_library(conn: Connection, library_id: UUID) -> list[str]:
    query = sa.select(documents.c.blob_key).where(documents.c.library_id == library_id)
    return list(conn.execute(query).scalars())


def blob_keys_in_use(conn: Connection, keys: Sequence[str]) -> set[str]:
    query = sa.select(documents.c.blob_key).where(documents.c.blob_key.in_(keys))
    return set(conn.execute(query).scalars())


def save_text(conn: Connection, document_id: UUID, text: DocumentText) -> None:
    """Replace the document's extracted text and page map."""
    pages = [[p.number, p.start, p.end] for p in text.pages]
    conn.execute(document_texts.delete().where(document_texts.c.document_id == document_id))
    conn.execute(
        document_texts.insert().values(document_id=document_id, text=text.text, pages=pages)
    )


def clear_text(conn: Connection, document_id: UUID) -> None:
    conn.execute(document_texts.delete().where(document_texts.c.document_id == document_id))


def get_text(conn: Connection, document_id: UUID) -> DocumentText | None:
    query = sa.select(document_texts.c.text, document_texts.c.pages).where(
        document_texts.c.document_id == document_id
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    pages = tuple(PageRange(number=n, start=s, end=e) for n, s, e in row.pages)
    return DocumentText(text=row.text, pages=pages)


def matching_ids(conn: Connection, library_ids: Sequence[UUID], where: Filter) -> list[UUID]:
    """Ids of the documents of these libraries that the filter keeps."""
    query = sa.select(documents.c.id).where(
        documents.c.library_id.in_(library_ids), compile_filter(where, conn.dialect.name)
    )
    return list(conn.execute(query).scalars())


def _filters(
    library_id: UUID, listing: DocumentListing, dialect: str
) -> list[sa.ColumnElement[bool]]:
    filters = [documents.c.library_id == library_id]
    if listing.search:
        filters.append(documents.c.name.icontains(listing.search, autoescape=True))
    if listing.where is not None:
        filters.append(compile_filter(listing.where, dialect))
    return filters


def _adjust_counters(conn: Connection, library_id: UUID, count: int, size: int) -> None:
    conn.execute(
        libraries.update()
        .where(libraries.c.id == library_id)
        .values(
            nb_documents=libraries.c.nb_documents + count,
            total_size=libraries.c.total_size + size,
        )
    )


def _document(row: Any) -> Document:
    values = {c.name: row[c.name] for c in _COLUMNS}
    values["process_status"] = ProcessStatus(values["process_status"])
    return Document(**values)
