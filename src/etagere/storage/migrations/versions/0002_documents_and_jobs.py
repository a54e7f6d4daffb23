"""Documents, their extracted text, the durable job table and server secrets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "library_id",
            sa.Uuid,
            sa.ForeignKey("libraries.id", ondelete="CASCADE"),
            nullable=False,
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
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("last_processed_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("library_id", "hash", name="uq_documents_library_hash"),
    )
    op.create_index("ix_documents_library_created", "documents", ["library_id", "created_at"])
    op.create_index("ix_documents_expires_at", "documents", ["expires_at"])
    op.create_table(
        "document_texts",
        sa.Column(
            "document_id",
            sa.Uuid,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("pages", sa.JSON, nullable=False),
    )
    op.create_table(
        "jobs",
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
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_table("jobs")
    op.drop_table("document_texts")
    op.drop_table("documents")
