"""Engine-level search types shared by the index backends and the retrieval logic."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import numpy as np
import numpy.typing as npt

FloatVector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Scope:
    """Which chunks a query may return: these libraries, and only these documents if given."""

    library_ids: tuple[UUID, ...]
    document_ids: frozenset[UUID] | None = None

    @property
    def empty(self) -> bool:
        """Whether a filter kept no document, so nothing can match."""
        return self.document_ids is not None and not self.document_ids


@dataclass(frozen=True)
class Scored:
    """A chunk (by its integer key) and its score under one retriever; higher is better."""

    seq: int
    score: float


@dataclass(frozen=True)
class IndexedChunk:
    """What an index needs of a chunk: its key, its text and its embedding."""

    seq: int
    text: str
    vector: FloatVector
    language: str = "en"  # ISO 639-1 code choosing the keyword analyzer (stemmer, stop words)


@dataclass(frozen=True)
class EmbeddedChunk:
    """A chunk ready to store: its place in the document's text and its embedding."""

    id: UUID
    ordinal: int
    text: str
    start: int
    end: int
    pages: tuple[int, ...]
    headings: tuple[str, ...]
    content_hash: str
    vector: FloatVector
    language: str = "en"  # ISO 639-1 code of the chunk's text (etagere.search.language)
