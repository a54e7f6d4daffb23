"""Chunk language: keyword analysis (stemming, stop words) per language.

Adds ``chunks.language`` (ISO 639-1, detected at indexing; NULL in older rows, read as English).
On PostgreSQL the generated ``tsvector`` is rebuilt to use the chunk's own text search
configuration; the ``CASE`` keeps the expression immutable, as a generated column requires.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same table as etagere.search.language.REGCONFIG, frozen here as migrations must be.
REGCONFIG = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian"}


def _tsvector(configs: dict[str, str]) -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in configs.items())
    return f"to_tsvector(CASE language {cases} ELSE 'english'::regconfig END, text)"


def upgrade() -> None:
    op.add_column("chunks", sa.Column("language", sa.String(8), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_chunks_tsv")
        op.execute("ALTER TABLE chunks DROP COLUMN tsv")
        op.execute(
            "ALTER TABLE chunks ADD COLUMN tsv tsvector "
            f"GENERATED ALWAYS AS ({_tsvector(REGCONFIG)}) STORED"
        )
        op.execute("CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_chunks_tsv")
        op.execute("ALTER TABLE chunks DROP COLUMN tsv")
        op.execute(
            "ALTER TABLE chunks ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute("CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)")
    op.drop_column("chunks", "language")
