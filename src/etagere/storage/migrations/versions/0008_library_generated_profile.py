"""Libraries: ``generated_name`` and ``generated_description``, derived from their documents.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("libraries") as batch:
        batch.add_column(sa.Column("generated_name", sa.String(500), nullable=True))
        batch.add_column(sa.Column("generated_description", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("libraries") as batch:
        batch.drop_column("generated_description")
        batch.drop_column("generated_name")
