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


@dataclass(frozen=True)
class LibraryView:
    """A library as one caller sees it: the record plus the caller's role on it."""

    library: Library
    role: Role
