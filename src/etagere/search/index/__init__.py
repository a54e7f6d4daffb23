"""Keyword and vector indexes: in-process (embedded mode) and PostgreSQL (server mode)."""
