"""Library rules: creation, listing with cursor or offset paging, renaming, deletion."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from etagere.core.errors import InvalidInput
from etagere.core.model import Caller, Library, LibraryView, OwnerType, Role
from etagere.domain.access import require_library
from etagere.search.index.backend import SearchBackend
from etagere.storage.blobs import BlobStore
from etagere.storage.metadata import Database
from etagere.storage.metadata import documents as document_store
from etagere.storage.metadata import libraries as store
from etagere.storage.metadata.types import utcnow

# The SDK sends these defaults; they bound what one listing call may return.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class LibraryPage:
    """One page of a listing. ``total`` is only computed for the deprecated offset paging."""

    items: list[LibraryView]
    next_page_token: str | None
    total: int | None = None


@dataclass(frozen=True)
class LibraryChanges:
    """Fields a PATCH/PUT may change; ``None`` for name means "unchanged"."""

    name: str | None = None
    description: str | None = None
    description_set: bool = False


class LibraryService:
    """What callers may do with libraries, always through ``require_library``."""

    def __init__(self, db: Database, blobs: BlobStore, search: SearchBackend) -> None:
        self.db = db
        self.blobs = blobs
        self.search = search

    def create(
        self,
        caller: Caller,
        name: str,
        description: str | None = None,
        chunk_size: int | None = None,
        owner_type: OwnerType = OwnerType.WORKSPACE,
    ) -> LibraryView:
        now = utcnow()
        library = Library(
            id=uuid.uuid4(),
            org_id=caller.org_id,
            name=_clean_name(name),
            description=description,
            chunk_size=chunk_size,
            owner_type=owner_type,
            owner_id=caller.user_id if owner_type is OwnerType.USER else caller.workspace_id,
            created_by=caller.user_id,
            nb_documents=0,
            total_size=0,
            created_at=now,
            updated_at=now,
        )
        with self.db.write() as conn:
            store.insert_library(conn, library)
        return LibraryView(library=library, role=Role.OWNER)

    def get(self, caller: Caller, library_id: uuid.UUID) -> LibraryView:
        with self.db.read() as conn:
            return require_library(conn, caller, library_id, Role.VIEWER)

    def update(self, caller: Caller, library_id: uuid.UUID, changes: LibraryChanges) -> LibraryView:
        """Rename or re-describe a library (Editors and Owners)."""
        values: dict[str, Any] = {}
        if changes.name is not None:
            values["name"] = _clean_name(changes.name)
        if changes.description_set:
            values["description"] = changes.description
        with self.db.write() as conn:
            view = require_library(conn, caller, library_id, Role.EDITOR, for_update=True)
            if not values:
                return view
            values["updated_at"] = utcnow()
            store.update_library(conn, library_id, values)
        return replace(view, library=replace(view.library, **values))

    def delete(self, caller: Caller, library_id: uuid.UUID) -> LibraryView:
        """Delete a library (Owner only) and everything in it: documents, chunks, files."""
        with self.db.write() as conn:
            view = require_library(conn, caller, library_id, Role.OWNER, for_update=True)
            blob_keys = document_store.blob_keys_of_library(conn, library_id)
            self.search.forget_library(conn, library_id)
            store.delete_library(conn, library_id)
        for key in blob_keys:
            self.blobs.delete(key)
        return view

    def list(
        self,
        caller: Caller,
        *,
        page_size: int,
        page_token: str | None = None,
        page: int | None = None,
        search: str | None = None,
        owned_by_me: bool = False,
    ) -> LibraryPage:
        """A page of visible libraries, newest first.

        A ``page_token`` always wins over ``page`` (the SDK sends ``page=0`` on every call).
        """
        listing = store.ListingQuery(
            search=search or None, owned_by_me=owned_by_me, limit=page_size + 1
        )
        offset_paging = page_token is None and page is not None
        if page_token is not None:
            listing = replace(listing, after=decode_cursor(page_token))
        elif page:
            listing = replace(listing, offset=page * page_size)
        with self.db.read() as conn:
            rows = store.list_visible(conn, caller, listing)
            total = store.count_visible(conn, caller, listing) if offset_paging else None
        items = rows[:page_size]
        has_more = len(rows) > page_size
        token = encode_cursor(items[-1].library) if has_more and items else None
        return LibraryPage(items=items, next_page_token=token, total=total)


def encode_cursor(last: Library) -> str:
    """An opaque token naming the last library of a page (keyset paging is stable under inserts)."""
    raw = json.dumps({"t": last.created_at.isoformat(), "i": last.id.hex}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at = datetime.fromisoformat(data["t"])
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return created_at, uuid.UUID(hex=data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "page_token is not a token returned by this server", ("query", "page_token")
        ) from exc


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("name must not be empty", ("body", "name"))
    return name
