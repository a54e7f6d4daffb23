"""PostgreSQL keyword search: finer lexeme statistics, and the tsvector kept in the row.

Statistics: the PostgreSQL search backend bounds a keyword query's work by its rare terms,
reading lexeme frequencies from ``pg_stats.most_common_elems`` of ``chunks.tsv``. At the default
statistics target ANALYZE lists the 1,000 most common lexemes (those in more than about 1% of
the chunks); at 1,000 it lists 10,000 (down to about 0.04% at 100k chunks), so the backend can
tell terms that match a few dozen chunks from terms that match thousands. The price is a larger
ANALYZE sample (300 x target rows): at 100k chunks ANALYZE took 2.1 s and peaked at 0.54 GB of
backend memory, against 0.7 s and 0.26 GB at the default; up to 300k rows are sampled beyond.

Storage: a chunk row holds its text, its tsvector (~0.8 kB, which does not compress) and its
vector (1.5 kB at 384 dimensions, always moved out of line). With the default storage of
tsvector (EXTENDED) PostgreSQL also moved the tsvector of about a third of the rows out of line,
so ranking a keyword query's matches read the TOAST table for each of those; MAIN keeps it in
the row and moves the text out instead (read only for the hits returned). At 100k chunks a
query ranking 962 matches touched 723 buffers instead of 1,742 and took 3.2 ms instead of 7.2.
Rows written before keep their layout until they are written again (reprocessing) or the
table is rewritten (``VACUUM FULL chunks``, which locks it while it runs).

Nothing to do on SQLite.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSV_STATISTICS = 1000


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS {TSV_STATISTICS}")
        op.execute("ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks ALTER COLUMN tsv SET STORAGE EXTENDED")
        op.execute("ALTER TABLE chunks ALTER COLUMN tsv SET STATISTICS -1")
