"""The web console: server-rendered pages over the same domain services as the API."""

from etagere.console.app import create_console

__all__ = ["create_console"]
