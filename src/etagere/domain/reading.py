"""Reading around a hit: chunks by id, neighbours, spans and greps; windows of a document's text.

Two vocabularies meet here. Mistral's context search (``read``, ``navigate``, ``grep``,
``get_chunk``) works on chunks: a "source" is a document and answers are chunks in reading
order. Agent tools work on the extracted text itself: a bounded window by page or character
range, and a grep with line and column positions. Every call passes through ``require_library``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from etagere.core.errors import Conflict, InvalidInput, NotFound
from etagere.core.model import Caller, Document, DocumentText, LibraryView, Role
from etagere.core.passages import Passage
from etagere.domain.access import require_library
from etagere.domain.passages import cite
from etagere.search.embedding import Embedder
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import chunks as chunk_store
from etagere.storage.metadata import documents as document_store
from etagere.storage.metadata import reading as store

MAX_CHUNKS = 100
MAX_READ_CHARS = 20_000
MAX_GREP_MATCHES = 100
MAX_PATTERN_CHARS = 1_000
# A grep answer shows this many characters of a long line on each side of the match.
SNIPPET_CONTEXT = 120

Direction = Literal["next", "previous"]
ChunkGrepMode = Literal["phrase", "term"]
TextGrepMode = Literal["phrase", "terms"]


@dataclass(frozen=True)
class IndexInfo:
    """A library described as a search index: who made it and how its vectors are made."""

    view: LibraryView
    embedding_model: str
    dimension: int


@dataclass(frozen=True)
class TextWindow:
    """A bounded slice ``[start_offset, end_offset)`` of a document's extracted text."""

    document: Document
    text: str
    start_offset: int
    end_offset: int
    total_chars: int
    pages: tuple[int, ...]
    next_offset: int | None  # where to continue when the window was cut at the size bound


@dataclass(frozen=True)
class TextMatch:
    """One grep match: 1-based line and column, offsets into the text, page, the line."""

    line: int
    column: int
    start_offset: int
    end_offset: int
    page: int | None
    text: str


@dataclass(frozen=True)
class GrepResult:
    document: Document
    matches: list[TextMatch]
    total_matches: int


class ReadingService:
    """Chunk navigation and text reading for callers with read access (Viewer)."""

    def __init__(self, db: Database, embedder: Embedder) -> None:
        self.db = db
        self.embedder = embedder

    def index(self, caller: Caller, library_id: UUID) -> IndexInfo:
        """The library as a search index: its recorded embedding model, else the server's."""
        with self.db.read() as conn:
            view = require_library(conn, caller, library_id, Role.VIEWER)
            recorded = chunk_store.library_model(conn, library_id)
        model, dimension = recorded or (self.embedder.model_name, self.embedder.dimension)
        return IndexInfo(view=view, embedding_model=model, dimension=dimension)

    def chunk(self, caller: Caller, library_id: UUID, chunk_id: UUID) -> Passage:
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.VIEWER)
            found = store.chunk_by_id(conn, library_id, chunk_id)
        if found is None:
            raise NotFound(f"Chunk {chunk_id} not found in index {library_id}")
        return cite(found)

    def navigate(
        self,
        caller: Caller,
        library_id: UUID,
        document_id: UUID,
        span: tuple[int, int],
        direction: Direction,
        top_k: int,
    ) -> list[Passage]:
        """The ``top_k`` chunks after (``next``) or before (``previous``) a span."""
        start, end = span
        with self.db.read() as conn:
            self._source(conn, caller, library_id, document_id)
            neighbours = store.chunks_after if direction == "next" else store.chunks_before
            found = neighbours(conn, library_id, document_id, start, end, _bounded(top_k))
        return [cite(c) for c in found]

    def read_chunks(
        self,
        caller: Caller,
        library_id: UUID,
        document_id: UUID,
        start: int | None,
        end: int | None,
        top_k: int,
    ) -> list[Passage]:
        """Chunks lying inside ``[start, end)``, at most ``top_k``, in reading order."""
        with self.db.read() as conn:
            self._source(conn, caller, library_id, document_id)
            found = store.chunks_within(conn, library_id, document_id, start, end, _bounded(top_k))
        return [cite(c) for c in found]

    def grep_chunks(
        self,
        caller: Caller,
        library_id: UUID,
        document_id: UUID,
        pattern: str,
        mode: ChunkGrepMode,
        top_k: int,
    ) -> list[Passage]:
        """Chunks containing the phrase (case-insensitive) or every term, in reading order."""
        needles = _needles(pattern, split=mode == "term")
        with self.db.read() as conn:
            self._source(conn, caller, library_id, document_id)
            candidates = store.document_chunks(conn, library_id, document_id)
        matched = [c for c in candidates if all(n in c.text.casefold() for n in needles)]
        return [cite(c) for c in matched[: _bounded(top_k)]]

    def read_text(
        self,
        caller: Caller,
        library_id: UUID,
        document_id: UUID,
        *,
        pages: tuple[int | None, int | None] = (None, None),
        chars: tuple[int | None, int | None] = (None, None),
        max_chars: int = MAX_READ_CHARS,
    ) -> TextWindow:
        """A window of the text by page range or character range, at most ``max_chars`` long."""
        if pages != (None, None) and chars != (None, None):
            raise InvalidInput("give a page range or a character range, not both", ("body",))
        document, text = self._text(caller, library_id, document_id)
        total = len(text.text)
        start, end = _page_span(text, *pages) if pages != (None, None) else (0, total)
        if chars != (None, None):
            start, end = _char_span(total, *chars)
        limit = max(1, min(max_chars, MAX_READ_CHARS))
        cut = end - start > limit
        stop = start + limit if cut else end
        return TextWindow(
            document=document,
            text=text.text[start:stop],
            start_offset=start,
            end_offset=stop,
            total_chars=total,
            pages=_pages_between(text, start, stop),
            next_offset=stop if cut else None,
        )

    def grep_text(
        self,
        caller: Caller,
        library_id: UUID,
        document_id: UUID,
        pattern: str,
        mode: TextGrepMode,
        max_matches: int = MAX_GREP_MATCHES,
    ) -> GrepResult:
        """Where a phrase (or lines holding every term) occurs: lines, columns, offsets, pages."""
        needles = _needles(pattern, split=mode == "terms")
        document, text = self._text(caller, library_id, document_id)
        lines = _Lines(text)
        spans = _phrase_spans(text.text, pattern) if mode == "phrase" else lines.with_all(needles)
        limit = max(1, min(max_matches, MAX_GREP_MATCHES))
        matches = [lines.match(s, e) for s, e in spans[:limit]]
        return GrepResult(document=document, matches=matches, total_matches=len(spans))

    def _source(self, conn: Connection, caller: Caller, library_id: UUID, doc: UUID) -> None:
        require_library(conn, caller, library_id, Role.VIEWER)
        if not store.has_chunks(conn, library_id, doc):
            raise NotFound(f"Source {doc} has no chunks in index {library_id}")

    def _text(
        self, caller: Caller, library_id: UUID, document_id: UUID
    ) -> tuple[Document, DocumentText]:
        with self.db.read() as conn:
            require_library(conn, caller, library_id, Role.VIEWER)
            document = document_store.get_document(conn, document_id, library_id)
            if document is None:
                raise NotFound(f"Document {document_id} not found")
            text = document_store.get_text(conn, document_id)
        if text is None:
            raise Conflict(
                f"Document {document_id} has no text yet (status {document.process_status}: "
                f"{document.processing_status})"
            )
        return document, text


def _bounded(top_k: int) -> int:
    return max(1, min(top_k, MAX_CHUNKS))


def _needles(pattern: str, *, split: bool) -> list[str]:
    if not pattern.strip() or len(pattern) > MAX_PATTERN_CHARS:
        raise InvalidInput(
            f"pattern must hold 1 to {MAX_PATTERN_CHARS} characters, not only spaces",
            ("body", "pattern"),
        )
    folded = pattern.casefold()
    return folded.split() if split else [folded]


def _page_span(text: DocumentText, first: int | None, last: int | None) -> tuple[int, int]:
    if first is not None and last is not None and first > last:
        raise InvalidInput("page_start must not be after page_end", ("body", "page_start"))
    spans = [
        p
        for p in text.pages
        if (first is None or p.number >= first) and (last is None or p.number <= last)
    ]
    if not spans:
        return len(text.text), len(text.text)
    return min(p.start for p in spans), max(p.end for p in spans)


def _char_span(total: int, start: int | None, end: int | None) -> tuple[int, int]:
    first = min(max(start or 0, 0), total)
    last = total if end is None else min(max(end, 0), total)
    if last < first:
        raise InvalidInput("start_offset must not be after end_offset", ("body", "start_offset"))
    return first, last


def _pages_between(text: DocumentText, start: int, end: int) -> tuple[int, ...]:
    if start == end:
        return tuple(p.number for p in text.pages if p.start <= start < p.end)
    return tuple(p.number for p in text.pages if p.start < end and p.end > start)


def _phrase_spans(text: str, pattern: str) -> list[tuple[int, int]]:
    # Words separated by any run of whitespace, so that a phrase broken across lines by the
    # PDF layout is still found. Escaped literals only: no user regex, no catastrophic backtracking.
    regex = re.compile(r"\s+".join(re.escape(w) for w in pattern.split()), re.IGNORECASE)
    return [(m.start(), m.end()) for m in regex.finditer(text)]


class _Lines:
    """Line and page lookups over one text."""

    def __init__(self, text: DocumentText) -> None:
        self.text = text.text
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        self.pages = sorted(text.pages, key=lambda p: p.start)
        self.page_starts = [p.start for p in self.pages]

    def with_all(self, needles: Sequence[str]) -> list[tuple[int, int]]:
        """For each line holding every term: the span from its first to its last term."""
        spans = []
        for index, begin in enumerate(self.starts):
            line = self._line(index).casefold()
            found = [line.find(n) for n in needles]
            if all(pos >= 0 for pos in found):
                ends = [pos + len(n) for pos, n in zip(found, needles, strict=True)]
                spans.append((begin + min(found), begin + max(ends)))
        return spans

    def match(self, start: int, end: int) -> TextMatch:
        index = bisect.bisect_right(self.starts, start) - 1
        begin = self.starts[index]
        line = self._line(index)
        left = max(0, start - begin - SNIPPET_CONTEXT)
        right = min(len(line), end - begin + SNIPPET_CONTEXT)
        snippet = ("…" if left else "") + line[left:right] + ("…" if right < len(line) else "")
        return TextMatch(
            line=index + 1,
            column=start - begin + 1,
            start_offset=start,
            end_offset=end,
            page=self._page(start),
            text=snippet,
        )

    def _line(self, index: int) -> str:
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[index] : end]

    def _page(self, offset: int) -> int | None:
        index = bisect.bisect_right(self.page_starts, offset) - 1
        if index < 0:
            return None
        page = self.pages[index]
        return page.number if offset < page.end or page is self.pages[-1] else None
