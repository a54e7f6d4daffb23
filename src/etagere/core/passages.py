"""The cited passage: one chunk of a document as every face shows it (search, reading, agents).

Search hits, context-search chunks, MCP results and function-tool citations are all this
record; each face only chooses its wire shape. ``score`` is None where nothing was ranked
(reading in document order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Passage:
    """A chunk with its exact span in the document's text and the citation that points at it."""

    chunk_id: UUID
    document_id: UUID
    library_id: UUID
    document_name: str
    mime_type: str | None
    content: str
    start_offset: int
    end_offset: int
    pages: tuple[int, ...]
    headings: tuple[str, ...]
    attributes: dict[str, Any] | None
    locator: str  # "p. 4", "pp. 4-5", "§ Intro > Scope" or "chars 0-812"
    score: float | None = None

    @property
    def metadata(self) -> dict[str, Any]:
        """What a client shows beside the text: where it comes from and how it is labelled."""
        return {
            "library_id": str(self.library_id),
            "document_name": self.document_name,
            "mime_type": self.mime_type,
            "pages": list(self.pages),
            "headings": list(self.headings),
            "attributes": self.attributes or {},
        }

    def scored(self, score: float) -> Passage:
        return replace(self, score=score)


def document_keys(passages: list[Passage]) -> list[tuple[UUID, UUID]]:
    """The distinct (library id, document id) pairs of the passages, in order of appearance."""
    return list(dict.fromkeys((p.library_id, p.document_id) for p in passages))
