"""etagere: a self-hosted document library server for AI agents (Mistral Libraries API)."""

__version__ = "0.1.0"
