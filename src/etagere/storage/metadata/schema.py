"""Table definitions used by queries. Alembic migrations create them; keep both in step."""

from __future__ import annotations

import sqlalchemy as sa

from etagere.storage.metadata.types import UTCDateTime

metadata = sa.MetaData()

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "name"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("org_id", "email"),
)

workspace_members = sa.Table(
    "workspace_members",
    metadata,
    sa.Column(
        "workspace_id",
        sa.Uuid,
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "workspace_id",
        sa.Uuid,
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

libraries = sa.Table(
    "libraries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("chunk_size", sa.Integer, nullable=True),
    sa.Column("owner_type", sa.String(16), nullable=False),
    sa.Column("owner_id", sa.Uuid, nullable=False),
    sa.Column("created_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("nb_documents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total_size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Written by etagere from the documents (never by users): see ingestion.library_profile.
    sa.Column("generated_name", sa.String(500), nullable=True),
    sa.Column("generated_description", sa.Text, nullable=True),
    sa.Index("ix_libraries_owner", "owner_type", "owner_id"),
    sa.Index("ix_libraries_listing", "org_id", "created_at", "id"),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "library_id", sa.Uuid, sa.ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("extension", sa.String(32), nullable=True),
    sa.Column("mime_type", sa.String(200), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("blob_key", sa.String(200), nullable=False),
    sa.Column("process_status", sa.String(32), nullable=False),
    sa.Column("processing_status", sa.Text, nullable=False),
    sa.Column("attributes", sa.JSON, nullable=True),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("number_of_pages", sa.Integer, nullable=True),
    sa.Column("tokens_processing_main_content", sa.Integer, nullable=True),
    sa.Column("tokens_processing_summary", sa.Integer, nullable=True),
    sa.Column("tokens_processing_total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("uploaded_by_id", sa.Uuid, nullable=True),
    sa.Column("uploaded_by_type", sa.String(32), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("last_processed_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("library_id", "hash", name="uq_documents_library_hash"),
    sa.Index("ix_documents_library_created", "library_id", "created_at"),
    sa.Index("ix_documents_expires_at", "expires_at"),
)

document_texts = sa.Table(
    "document_texts",
    metadata,
    sa.Column(
        "document_id",
        sa.Uuid,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("pages", sa.JSON, nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column(
        "document_id",
        sa.Uuid,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("lease_expires_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_jobs_state_created", "state", "created_at"),
)

server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

# Grants on a library beyond its owner. ``target_type`` is User, Workspace or Org and
# ``target_id`` the id of that user, workspace or organization (so no foreign key to one table);
# ``role`` is a ``Role`` value (Viewer 1, Editor 2). The owner is never stored here.
library_shares = sa.Table(
    "library_shares",
    metadata,
    sa.Column(
        "library_id",
        sa.Uuid,
        sa.ForeignKey("libraries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("target_type", sa.String(16), primary_key=True),
    sa.Column("target_id", sa.Uuid, primary_key=True),
    sa.Column("role", sa.Integer, nullable=False),
    sa.Column("granted_by", sa.Uuid, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_library_shares_target", "target_type", "target_id"),
)

# Search: chunks of processed documents. ``seq`` is the integer key the vector and keyword
# indexes use; ``vector`` holds the float32 embedding (SQLite; PostgreSQL keeps it in a pgvector
# column instead, see the search backends).
chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", sa.Uuid, nullable=False, unique=True),
    sa.Column(
        "document_id", sa.Uuid, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "library_id", sa.Uuid, sa.ForeignKey("libraries.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("start_offset", sa.Integer, nullable=False),
    sa.Column("end_offset", sa.Integer, nullable=False),
    sa.Column("pages", sa.JSON, nullable=False),
    sa.Column("headings", sa.JSON, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("embedding_model", sa.String(200), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=True),
    # ISO 639-1 code of the text (keyword analysis per language); NULL in rows from before it.
    sa.Column("language", sa.String(8), nullable=True),
    sa.Index("ix_chunks_document", "document_id", "ordinal"),
    sa.Index("ix_chunks_library", "library_id"),
    sqlite_autoincrement=True,  # keys are never reused, even after deletes
)

# Embeddings by (model, content hash): reprocessing unchanged text costs nothing.
embedding_cache = sa.Table(
    "embedding_cache",
    metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("content_hash", sa.String(64), primary_key=True),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)

# The embedding model a library's vectors were made with (vectors of two models never mix).
library_indexes = sa.Table(
    "library_indexes",
    metadata,
    sa.Column(
        "library_id",
        sa.Uuid,
        sa.ForeignKey("libraries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("embedding_model", sa.String(200), nullable=False),
    sa.Column("dimension", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Every change to a library's searchable chunks, in commit order: in-process indexes derived
# from the database (embedded mode) catch up by replaying it. ``document_id`` NULL means the
# whole library went away.
index_log = sa.Table(
    "index_log",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("library_id", sa.Uuid, nullable=False),
    sa.Column("document_id", sa.Uuid, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)

# Agents and conversations (migration 0005). An agent's versions are immutable snapshots of its
# configuration kept as JSON in the SDK's vocabulary; a conversation is a list of entries.
agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column(
        "workspace_id", sa.Uuid, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_agents_workspace_created", "workspace_id", "created_at"),
)

agent_versions = sa.Table(
    "agent_versions",
    metadata,
    sa.Column(
        "agent_id", sa.Uuid, sa.ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("agent_id", sa.Uuid, nullable=True),
    sa.Column("agent_version", sa.Integer, nullable=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_conversations_user_created", "user_id", "created_at"),
)

conversation_entries = sa.Table(
    "conversation_entries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column(
        "conversation_id",
        sa.Uuid,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("entry", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("conversation_id", "seq", name="uq_conversation_entries_seq"),
)

console_sessions = sa.Table(
    "console_sessions",
    metadata,
    # SHA-256 of the cookie's secret: a leaked table cannot be replayed as cookies.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", sa.Uuid, sa.ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
)
