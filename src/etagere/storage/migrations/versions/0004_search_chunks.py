"""Search: chunks, the embedding cache, per-library model records and the index log.

On PostgreSQL the embedding lives in a pgvector column (``vector`` extension) and the keyword
index is a generated ``tsvector`` with a GIN index; HNSW indexes are created per dimension by
the PostgreSQL search backend when a library first uses that dimension.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "chunks",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column(
            "document_id",
            sa.Uuid,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "library_id",
            sa.Uuid,
            sa.ForeignKey("libraries.id", ondelete="CASCADE"),
            nullable=False,
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
        sqlite_autoincrement=True,
    )
    op.create_index("ix_chunks_document", "chunks", ["document_id", "ordinal"])
    op.create_index("ix_chunks_library", "chunks", ["library_id"])
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
        op.execute("ALTER TABLE chunks ADD COLUMN embedding vector")
        op.execute(
            "ALTER TABLE chunks ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute("CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)")
    op.create_table(
        "embedding_cache",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "library_indexes",
        sa.Column(
            "library_id",
            sa.Uuid,
            sa.ForeignKey("libraries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("embedding_model", sa.String(200), nullable=False),
        sa.Column("dimension", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "index_log",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("library_id", sa.Uuid, nullable=False),
        sa.Column("document_id", sa.Uuid, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("index_log")
    op.drop_table("library_indexes")
    op.drop_table("embedding_cache")
    op.drop_table("chunks")
