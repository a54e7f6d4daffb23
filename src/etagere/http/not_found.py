"""What to tell a client whose request matched no route: the likely mistake, and ``/docs``.

Two misses are common enough to name: a ``server_url`` ending in ``/v1`` (the SDK then asks for
``/v1/v1/libraries``), and a Mistral API route that etagere does not serve (chat, embeddings...):
etagere speaks the Libraries API of Mistral's API, not all of it.
"""

from __future__ import annotations

# First path segments after /v1/ of Mistral API routes that etagere does not serve.
MISTRAL_ROUTES_NOT_SERVED = frozenset(
    {
        "agents",
        "audio",
        "batch",
        "chat",
        "classifications",
        "conversations",
        "embeddings",
        "files",
        "fim",
        "fine_tuning",
        "models",
        "moderations",
        "ocr",
    }
)


def route_not_found_message(method: str, path: str) -> str:
    """A 404 message naming the probable cause of a request to an unknown path."""
    if path.startswith("/v1/v1/"):
        return (
            f"No route {path}: the path repeats '/v1'. Give the SDK the server's root as "
            "server_url (e.g. http://127.0.0.1:8000), not a URL ending in /v1. "
            "See /docs for every route."
        )
    segments = path.strip("/").split("/")
    if len(segments) >= 2 and segments[0] == "v1" and segments[1] in MISTRAL_ROUTES_NOT_SERVED:
        return (
            f"etagere does not serve {method} {path}: it implements Mistral's Libraries API "
            "(/v1/libraries, documents, sharing, search, context search), not the rest of "
            "Mistral's API. See /docs for the routes it serves."
        )
    return f"No route {method} {path}. See /docs for the routes etagere serves."
