"""Where data lives: the metadata store (SQLite or PostgreSQL) and, later, the blob store."""
