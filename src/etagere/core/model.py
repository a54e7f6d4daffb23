"""Plain records passed between the domain and storage layers."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


class OwnerType(enum.StrEnum):
    """Who owns a library: one user (private) or a workspace (shared with its members)."""

    USER = "User"
    WORKSPACE = "Workspace"


class Role(enum.IntEnum):
    """A caller's effective role on a library; ordered so that ``>=`` means "at least"."""

    VIEWER = 1
    EDITOR = 2
    OWNER = 3


@dataclass(frozen=True)
class Caller:
    """The identity behind a request: a user acting in one workspace through one API key."""

    user_id: UUID
    org_id: UUID
    workspace_id: UUID
    key_id: UUID | None = None


@dataclass(frozen=True)
class Organization:
    id: UUID
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Workspace:
    id: UUID
    org_id: UUID
    name: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: UUID
    org_id: UUID
    email: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    id: UUID
    user_id: UUID
    workspace_id: UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Library:
    id: UUID
    org_id: UUID
    name: str
    description: str | None
    chunk_size: int | None
    owner_type: OwnerType
    owner_id: UUID
    created_by: UUID
    nb_documents: int
    total_size: int
    created_at: datetime
    updated_at: datetime
    # Derived from the documents as they come and go; ``name``/``description`` stay the user's.
    generated_name: str | None = None
    generated_description: str | None = None


@dataclass(frozen=True)
class LibraryView:
    """A library as one caller sees it: the record plus the caller's role on it."""

    library: Library
    role: Role
    # Who else the library is shared with; ``None`` when not loaded (a library just created).
    sharing: SharingSummary | None = None


class ProcessStatus(enum.StrEnum):
    """A document's place in the processing pipeline (the SDK's ``ProcessStatus``)."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ERROR = "error"
    MISSING_CONTENT = "missing_content"


# The legacy ``processing_status`` strings the SDK's docs poll on.
RUNNING = "Running"
COMPLETED = "Completed"


@dataclass(frozen=True)
class Document:
    id: UUID
    library_id: UUID
    name: str
    extension: str | None
    mime_type: str | None
    size: int
    hash: str
    blob_key: str
    process_status: ProcessStatus
    processing_status: str
    attributes: dict[str, object] | None
    summary: str | None
    number_of_pages: int | None
    tokens_processing_main_content: int | None
    tokens_processing_summary: int | None
    tokens_processing_total: int
    uploaded_by_id: UUID | None
    uploaded_by_type: str
    expires_at: datetime | None
    last_processed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PageRange:
    """Page ``number`` (1-based) spans ``text[start:end]`` of a document's extracted text."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class DocumentText:
    """A document's extracted Markdown and its page map."""

    text: str
    pages: tuple[PageRange, ...]


class ShareTarget(enum.StrEnum):
    """Who a library is shared with (the SDK's ``share_with_type``)."""

    USER = "User"
    WORKSPACE = "Workspace"
    ORG = "Org"


@dataclass(frozen=True)
class Share:
    """One line of a library's access list: a grant, or the library's owner (``Role.OWNER``)."""

    library_id: UUID
    org_id: UUID
    target_type: ShareTarget
    target_id: UUID
    role: Role


@dataclass(frozen=True)
class SharingSummary:
    """How widely a library is shared: explicit user and workspace grants, the org-wide role."""

    user_grants: int = 0
    workspace_grants: int = 0
    org_role: Role | None = None


@dataclass(frozen=True)
class ApiKeyListing:
    """An API key as administrators see it: never the secret, with its user and workspace named."""

    key: ApiKey
    user_email: str
    workspace_name: str
