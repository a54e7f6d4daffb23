"""The ``document_library`` tool: hybrid search over an agent's libraries, as the caller.

Every call goes through ``SearchService`` and so through the one access check, at call time:
a library that was unshared or deleted since the agent was made is an error the model reads
in its tool message and the caller reads in the ``tool.execution`` entry, never a silent skip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from etagere.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from etagere.core.model import Caller
from etagere.core.passages import Passage
from etagere.domain.search import SearchService, hybrid
from etagere.domain.signing import UrlSigner

NAME = "document_library"
TOP_K = 5
EXCERPT_CHARS = 300

SPEC: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": NAME,
        "description": (
            "Search the user's document libraries. Returns numbered passages; cite the ones "
            "you use by their number in brackets, e.g. [1]."
        ),
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "What to look for."}},
            "required": ["query"],
        },
    },
}


@dataclass(frozen=True)
class LibraryToolResult:
    """What the model reads, what the caller sees, and the references the answer may cite."""

    text: str
    info: dict[str, Any]
    references: dict[int, dict[str, Any]] = field(default_factory=dict)


class LibraryTool:
    def __init__(self, search: SearchService, signer: UrlSigner) -> None:
        self.search = search
        self.signer = signer

    def run(
        self, caller: Caller, library_ids: Sequence[UUID], arguments: str, first_number: int
    ) -> LibraryToolResult:
        """Search with the caller's rights; passages numbered from ``first_number``."""
        query = _query(arguments)
        if not query:
            return _error("document_library needs a non-empty 'query' argument", library_ids)
        try:
            hits = self.search.search(caller, library_ids, hybrid(query, TOP_K, None))
        except (NotFound, Forbidden) as exc:
            return _error(
                f"document_library cannot search: {exc.message} (the library was deleted or "
                "is no longer shared with this user); nothing was searched",
                library_ids,
            )
        except (Conflict, InvalidInput) as exc:
            return _error(f"document_library cannot search: {exc.message}", library_ids)
        references = {first_number + index: self._reference(hit) for index, hit in enumerate(hits)}
        return LibraryToolResult(
            text=_passages(query, hits, first_number),
            info={
                "query": query,
                "library_ids": [str(i) for i in library_ids],
                "results": len(hits),
            },
            references=references,
        )

    def _reference(self, hit: Passage) -> dict[str, Any]:
        url = self.signer.path(hit.document_id, "text")
        return {
            "type": "tool_reference",
            "tool": NAME,
            "title": _title(hit),
            "url": f"{url}#chars={hit.start_offset}-{hit.end_offset}",
            "favicon": None,
            "description": _excerpt(hit.content),
        }


def _query(arguments: str) -> str:
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return arguments.strip()
    if isinstance(parsed, dict):
        return str(parsed.get("query") or "").strip()
    return str(parsed).strip()


def _title(hit: Passage) -> str:
    return f"{hit.document_name}, {hit.locator}"


def _excerpt(content: str) -> str:
    flat = " ".join(content.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def _passages(query: str, hits: Sequence[Passage], first_number: int) -> str:
    if not hits:
        return f"No passage of the libraries matches {query!r}."
    parts = [f"Passages for {query!r}; cite the ones you use by number, e.g. [{first_number}]."]
    for index, hit in enumerate(hits):
        parts.append(f"[{first_number + index}] {_title(hit)}\n{hit.content}")
    return "\n\n".join(parts)


def _error(message: str, library_ids: Sequence[UUID]) -> LibraryToolResult:
    return LibraryToolResult(
        text=f"Error: {message}",
        info={"error": message, "library_ids": [str(i) for i in library_ids]},
    )
