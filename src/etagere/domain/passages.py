"""Turning a stored chunk into a cited passage: the one place a citation is written."""

from __future__ import annotations

from etagere.core.passages import Passage
from etagere.ingestion.extraction.formats import is_paged
from etagere.storage.metadata.chunks import ChunkHit


def cite(chunk: ChunkHit, score: float | None = None) -> Passage:
    """The passage of a stored chunk, with its locator, and its score when it was ranked."""
    return Passage(
        chunk_id=chunk.id,
        document_id=chunk.document_id,
        library_id=chunk.library_id,
        document_name=chunk.document_name,
        mime_type=chunk.mime_type,
        content=chunk.text,
        start_offset=chunk.start_offset,
        end_offset=chunk.end_offset,
        pages=chunk.pages,
        headings=chunk.headings,
        attributes=chunk.attributes,
        locator=locator(chunk),
        score=score,
    )


def locator(chunk: ChunkHit) -> str:
    """Where a passage is, the way one cites it: "p. 4", "pp. 4-5", or its section."""
    if is_paged(chunk.mime_type) and chunk.pages:
        first, last = min(chunk.pages), max(chunk.pages)
        return f"p. {first}" if first == last else f"pp. {first}-{last}"
    if chunk.headings:
        return "§ " + " > ".join(chunk.headings)
    return f"chars {chunk.start_offset}-{chunk.end_offset}"
