"""Library sharing: grants to users, workspaces and the whole organization.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "library_shares",
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
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_library_shares_target", "library_shares", ["target_type", "target_id"])


def downgrade() -> None:
    op.drop_index("ix_library_shares_target", table_name="library_shares")
    op.drop_table("library_shares")
