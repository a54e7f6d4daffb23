"""etagere: a self-hosted document library server for AI agents, speaking the Mistral Libraries API."""

__version__ = "0.1.0"
