"""Document rules: register uploads, list, update, delete, read text, reprocess, expire.

Uploads arrive as blobs already streamed to the blob store; this module decides what becomes
of them in one transaction (new document + its job, or the existing document with equal bytes).
Blob files are removed only after the transaction that stopped referencing them commits.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePath
from typing import Any

from etagere.core.errors import Conflict, Duplicate, InvalidInput, NotFound, UnsupportedMediaType
from etagere.core.filters import Filter
from etagere.core.model import (
    RUNNING,
    Caller,
    Document,
    DocumentText,
    ProcessStatus,
    Role,
)
from etagere.domain.access import require_library
from etagere.domain.signing import Served, UrlSigner
from etagere.ingestion.extraction import ExtractionError, UnsupportedType, detect_type
from etagere.ingestion.library_profile import refresh_library_profile
from etagere.search.index.backend import SearchBackend
from etagere.storage.blobs import BlobStore, StoredBlob
from etagere.storage.metadata import Database
from etagere.storage.metadata import documents as store
from etagere.storage.metadata import jobs as job_store
from etagere.storage.metadata.filters import encode_datetime
from etagere.storage.metadata.types import utcnow

log = logging.getLogger("etagere.documents")

# An upload commits its blob a moment before its document row; older unreferenced blobs are
# orphans of a crash.
ORPHAN_GRACE_SECONDS = 3600.0

AttributeValue = bool | int | float | str | datetime | list[Any]


@dataclass(frozen=True)
class DocumentPage:
    items: list[Document]
    total: int


@dataclass(frozen=True)
class DocumentChanges:
    """PATCH/PUT fields; the ``*_set`` flags distinguish "absent" from an explicit null."""

    name: str | None = None
    attributes: dict[str, AttributeValue] | None = None
    attributes_set: bool = False
    expires_at: datetime | None = None
    expires_at_set: bool = False


class DocumentService:
    """What callers may do with documents; every call passes through ``require_library``."""

    def __init__(
        self, db: Database, blobs: BlobStore, signer: UrlSigner, search: SearchBackend
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.signer = signer
        self.search = search

    def check_upload(self, caller: Caller, library_id: uuid.UUID) -> None:
        """Fail fast, before the body is read, when the caller may not upload here."""
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.EDITOR)

    def register_upload(
        self, caller: Caller, library_id: uuid.UUID, blob: StoredBlob, filename: str
    ) -> tuple[Document, bool]:
        """The new document and True, or the library's document with equal bytes and False."""
        try:
            mime_type = self._detect(blob, filename)
            document, created = self._insert(caller, library_id, blob, filename, mime_type)
        except BaseException:
            self.blobs.delete(blob.key)
            raise
        if not created:
            self.blobs.delete(blob.key)
        return document, created

    def get(self, caller: Caller, library_id: uuid.UUID, document_id: uuid.UUID) -> Document:
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.VIEWER)
            return _found(store.get_document(conn, document_id, library_id), document_id)

    def list(
        self,
        caller: Caller,
        library_id: uuid.UUID,
        *,
        search: str | None,
        where: Filter | None,
        sort_by: store.SortField,
        descending: bool,
        page: int,
        page_size: int,
    ) -> DocumentPage:
        listing = store.DocumentListing(
            search=search or None,
            where=where,
            sort_by=sort_by,
            descending=descending,
            offset=page * page_size,
            limit=page_size,
        )
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.VIEWER)
            items, total = store.list_documents(conn, library_id, listing)
        return DocumentPage(items=items, total=total)

    def update(
        self,
        caller: Caller,
        library_id: uuid.UUID,
        document_id: uuid.UUID,
        changes: DocumentChanges,
    ) -> Document:
        values: dict[str, Any] = {}
        if changes.name is not None:
            values["name"] = _clean_name(changes.name)
        if changes.attributes_set:
            values["attributes"] = normalise_attributes(changes.attributes)
        if changes.expires_at_set:
            values["expires_at"] = changes.expires_at
        with self.db.write() as conn:
            require_library(conn, caller, library_id, Role.EDITOR)
            document = _found(store.get_document(conn, document_id, library_id), document_id)
            if values:
                values["updated_at"] = utcnow()
                store.update_document(conn, document_id, values)
        return replace(document, **values)

    def delete(self, caller: Caller, library_id: uuid.UUID, document_id: uuid.UUID) -> None:
        """Remove the document from listing and search at once; its file after commit."""
        with self.db.write() as conn:
            require_library(conn, caller, library_id, Role.EDITOR, for_update=True)
            document = _found(store.get_document(conn, document_id, library_id), document_id)
            store.delete_document(conn, document)
            self.search.forget_document(conn, library_id, document_id)
            refresh_library_profile(conn, library_id)
        self.blobs.delete(document.blob_key)

    def text(
        self,
        caller: Caller,
        library_id: uuid.UUID,
        document_id: uuid.UUID,
        page_start: int | None = None,
        page_end: int | None = None,
    ) -> str:
        """Extracted text, whole or pages ``page_start..page_end`` (1-based, inclusive)."""
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.VIEWER)
            document = _found(store.get_document(conn, document_id, library_id), document_id)
            text = store.get_text(conn, document_id)
        if text is None:
            raise Conflict(_not_ready(document))
        return page_slice(text, page_start, page_end)

    def pages(
        self, caller: Caller, library_id: uuid.UUID, document_id: uuid.UUID
    ) -> DocumentText | None:
        """The extracted text with its page map (``None`` until processing produced one)."""
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.VIEWER)
            _found(store.get_document(conn, document_id, library_id), document_id)
            return store.get_text(conn, document_id)

    def reprocess(self, caller: Caller, library_id: uuid.UUID, document_id: uuid.UUID) -> None:
        """Queue the document again; its derived data is replaced when the new run finishes."""
        now = utcnow()
        with self.db.write() as conn:
            require_library(conn, caller, library_id, Role.EDITOR, for_update=True)
            _found(store.get_document(conn, document_id, library_id), document_id)
            store.update_document(
                conn,
                document_id,
                {
                    "process_status": ProcessStatus.TODO,
                    "processing_status": RUNNING,
                    "updated_at": now,
                },
            )
            job_store.enqueue(conn, document_id, now)

    def signed_path(
        self, caller: Caller, library_id: uuid.UUID, document_id: uuid.UUID, served: Served
    ) -> str:
        """A signed path serving the document's original bytes or its extracted text."""
        document = self.get(caller, library_id, document_id)
        if served == "text":
            with self.db.read() as conn:
                if store.get_text(conn, document_id) is None:
                    raise Conflict(_not_ready(document))
        return self.signer.path(document.id, served)

    def open_signed(
        self, document_id: uuid.UUID, served: Served, expires: int, signature: str
    ) -> tuple[Document, DocumentText | None]:
        """What a signed URL serves: the document (for its blob) or its text."""
        self.signer.verify(document_id, served, expires, signature)
        with self.db.read() as conn:
            document = _found(store.get_document(conn, document_id), document_id)
            text = store.get_text(conn, document_id) if served == "text" else None
        if served == "text" and text is None:
            raise Conflict(_not_ready(document))
        return document, text

    def sweep_expired(self, now: datetime | None = None) -> int:
        """Delete documents past ``expires_at``; returns how many went."""
        removed = 0
        while True:
            with self.db.write() as conn:
                batch = store.expired_documents(conn, now or utcnow())
                gone = [d for d in batch if store.delete_document(conn, d)]
                for document in gone:
                    self.search.forget_document(conn, document.library_id, document.id)
                for library_id in {d.library_id for d in gone}:
                    refresh_library_profile(conn, library_id)
            for document in gone:
                self.blobs.delete(document.blob_key)
            removed += len(gone)
            if len(batch) < 100:
                return removed

    def sweep_orphans(self, grace_seconds: float = ORPHAN_GRACE_SECONDS) -> int:
        """Delete blobs no document references (a crash between write and commit leaves them).

        Only blobs older than ``grace_seconds`` are considered, so an upload whose document
        row is about to be committed is never taken for an orphan.
        """
        cutoff = time.time() - grace_seconds
        self.blobs.purge_abandoned_writes(cutoff)
        removed = 0
        keys = list(itertools.islice(self.blobs.keys(older_than=cutoff), 100_000))
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            with self.db.read() as conn:
                in_use = store.blob_keys_in_use(conn, batch)
            for key in batch:
                if key not in in_use:
                    self.blobs.delete(key)
                    removed += 1
        return removed

    def _detect(self, blob: StoredBlob, filename: str) -> str | None:
        if blob.size == 0:
            return None  # processing will report the empty file
        with self.blobs.local_path(blob.key) as path:
            try:
                return detect_type(path, filename)
            except UnsupportedType as exc:
                raise UnsupportedMediaType(str(exc)) from exc
            except ExtractionError:
                return None  # damaged: processing reports the reason on the document

    def _insert(
        self,
        caller: Caller,
        library_id: uuid.UUID,
        blob: StoredBlob,
        filename: str,
        mime_type: str | None,
    ) -> tuple[Document, bool]:
        now = utcnow()
        document = Document(
            id=uuid.uuid4(),
            library_id=library_id,
            name=filename,
            extension=_extension(filename),
            mime_type=mime_type,
            size=blob.size,
            hash=blob.sha256,
            blob_key=blob.key,
            process_status=ProcessStatus.TODO,
            processing_status=RUNNING,
            attributes=None,
            summary=None,
            number_of_pages=None,
            tokens_processing_main_content=None,
            tokens_processing_summary=None,
            tokens_processing_total=0,
            uploaded_by_id=caller.user_id,
            uploaded_by_type="User",
            expires_at=None,
            last_processed_at=None,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.db.write() as conn:
                require_library(conn, caller, library_id, Role.EDITOR, for_update=True)
                existing = store.find_by_hash(conn, library_id, blob.sha256)
                if existing is not None:
                    return existing, False
                store.insert_document(conn, document)
                job_store.enqueue(conn, document.id, now)
        except Duplicate:
            # A concurrent upload of the same bytes won the race: answer with its document.
            with self.db.read() as conn:
                winner = store.find_by_hash(conn, library_id, blob.sha256)
            if winner is None:
                raise
            return winner, False
        log.info(
            "document uploaded",
            extra={
                "document_id": str(document.id),
                "library_id": str(library_id),
                "size": blob.size,
            },
        )
        return document, True


def page_slice(text: DocumentText, page_start: int | None, page_end: int | None) -> str:
    """The text of pages ``page_start..page_end`` (inclusive, 1-based; out-of-range clipped)."""
    if page_start is None and page_end is None:
        return text.text
    if page_start is not None and page_end is not None and page_start > page_end:
        raise InvalidInput("page_start must not be after page_end", ("query", "page_start"))
    # Only bounds that were given clip: page_start alone past the end is an empty text.
    first = page_start if page_start is not None else 1
    last = page_end if page_end is not None else max((p.number for p in text.pages), default=1)
    spans = [p for p in text.pages if first <= p.number <= last]
    if not spans:
        return ""
    return text.text[min(p.start for p in spans) : max(p.end for p in spans)]


def normalise_attributes(
    attributes: dict[str, AttributeValue] | None,
) -> dict[str, Any] | None:
    """Check names and store datetimes as UTC ISO-8601 strings (comparable in filters)."""
    if attributes is None:
        return None
    if len(attributes) > 100:
        raise InvalidInput("at most 100 attributes per document", ("body", "attributes"))
    result: dict[str, Any] = {}
    for name, value in attributes.items():
        if not name.strip() or len(name) > 200 or name.startswith("attributes."):
            raise InvalidInput(f"invalid attribute name {name!r}", ("body", "attributes", name))
        if isinstance(value, list):
            _check_homogeneous(name, value)
            result[name] = [encode_datetime(v) if isinstance(v, datetime) else v for v in value]
        else:
            result[name] = encode_datetime(value) if isinstance(value, datetime) else value
    return result


def _check_homogeneous(name: str, values: list[Any]) -> None:
    kinds = {type(v) for v in values}
    if len(kinds) > 1 and kinds != {int, float}:
        raise InvalidInput(
            f"attribute {name!r}: list items must all have the same type",
            ("body", "attributes", name),
        )


def _found(document: Document | None, document_id: uuid.UUID) -> Document:
    if document is None:
        raise NotFound(f"Document {document_id} not found")
    return document


def _not_ready(document: Document) -> str:
    if document.process_status in (ProcessStatus.ERROR, ProcessStatus.MISSING_CONTENT):
        return f"Document {document.id} has no text: {document.processing_status}"
    return f"Document {document.id} is not processed yet (status {document.process_status})"


def _extension(filename: str) -> str | None:
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    return suffix[:32] or None


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name must not be empty", ("body", "name"))
    return name
