"""Structure-aware chunking of extracted Markdown, with exact offsets.

Every chunk is an exact slice ``markdown[start:end]`` so that search hits can
point back into the document (offsets, pages, reading around a hit). Splits
prefer the strongest boundary that makes the pieces fit: headings (shallowest
level first), then blocks (paragraphs, whole tables, whole lists, fenced
code), then table rows / list items / code lines / sentences, then words, and
a hard character cut only as the last resort.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

Span = tuple[int, int]

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*\r?$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|\r?$)")
# A sentence ends with terminal punctuation, optional closing quotes or brackets,
# then whitespace; CJK full stops need no space after them.
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+|[\u3002\uff01\uff1f]\s*")
_WHITESPACE = re.compile(r"\s+")
_TERMINAL = ".!?\u2026\u3002\uff01\uff1f"
_CLOSERS = "\"'\u201d\u2019)]"


class PageSpanLike(Protocol):
    """Where a page lies in the Markdown (``etagere.ingestion.extraction.PageSpan``)."""

    @property
    def number(self) -> int: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece: ``text == markdown[start:end]`` (end exclusive)."""

    text: str
    start: int
    end: int
    pages: tuple[int, ...]
    headings: tuple[str, ...]
    ordinal: int


@dataclass(frozen=True)
class _Heading:
    start: int
    level: int
    title: str


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # exclusive, before the newline
    kind: str  # blank, heading, fence_open, code, fence_close, table, item, text


def chunk_markdown(
    markdown: str,
    pages: Sequence[PageSpanLike],
    *,
    chunk_size: int,
    overlap: int,
) -> list[Chunk]:
    """Split Markdown into chunks of at most ``chunk_size`` characters.

    ``overlap`` characters (snapped to a sentence or word start) are carried
    from the previous chunk, but never back across a heading, so a chunk's
    heading path holds for all of its text.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if not 0 <= overlap < chunk_size:
        raise ValueError(f"overlap must be in 0..chunk_size-1, got {overlap}")
    doc = _Document(markdown, chunk_size, chunk_size - overlap)
    cores = doc.glue_headings(doc.split_sections(_trim(markdown, 0, len(markdown))))
    spans = _add_overlap(markdown, cores, doc.heading_starts, chunk_size, overlap)
    return [
        Chunk(
            text=markdown[start:end],
            start=start,
            end=end,
            pages=pages_touched(pages, start, end),
            headings=doc.heading_path(start),
            ordinal=ordinal,
        )
        for ordinal, (start, end) in enumerate(spans)
    ]


def pages_touched(pages: Sequence[PageSpanLike], start: int, end: int) -> tuple[int, ...]:
    """Numbers of the pages whose span shares at least one character with [start, end)."""
    return tuple(sorted({p.number for p in pages if p.start < end and start < p.end}))


def _trim(text: str, start: int, end: int) -> Span | None:
    """The span without surrounding whitespace, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


class _Document:
    """Line structure of one Markdown text and the recursive splitting over it."""

    def __init__(self, text: str, chunk_size: int, pack_limit: int) -> None:
        self.text = text
        self.chunk_size = chunk_size
        # Pieces sharing a chunk stop here, leaving room for the overlap; a
        # single piece (a whole table, say) may still fill all of chunk_size.
        self.pack_limit = pack_limit
        self.lines = _classify_lines(text)
        self.line_starts = [line.start for line in self.lines]
        # A heading starts at its first "#", where a trimmed chunk would start.
        self.headings = [
            _Heading(line.start + _indent(text, line), *_parse_heading(text[line.start : line.end]))
            for line in self.lines
            if line.kind == "heading"
        ]
        self.heading_starts = [h.start for h in self.headings]

    def heading_path(self, position: int) -> tuple[str, ...]:
        """Titles of the headings enclosing ``position`` (a heading line is in its own section)."""
        stack: list[_Heading] = []
        for heading in self.headings[: bisect.bisect_right(self.heading_starts, position)]:
            while stack and stack[-1].level >= heading.level:
                stack.pop()
            stack.append(heading)
        return tuple(h.title for h in stack)

    def split_sections(self, span: Span | None) -> list[Span]:
        """Chunks of a span: whole if it fits, else split at its shallowest inner headings."""
        if span is None:
            return []
        start, end = span
        if end - start <= self.chunk_size:
            return [span]
        first = bisect.bisect_right(self.heading_starts, start)
        inner = self.headings[first : bisect.bisect_left(self.heading_starts, end)]
        if not inner:
            return self._split_content(span)
        level = min(h.level for h in inner)
        cuts = [start, *(h.start for h in inner if h.level == level), end]
        chunks: list[Span] = []
        fitting: list[Span] = []  # consecutive small sections, merged greedily
        for a, b in pairwise(cuts):
            section = _trim(self.text, a, b)
            if section is None:
                continue
            if section[1] - section[0] <= self.chunk_size:
                fitting.append(section)
                continue
            # Once a section must be split, its pieces never mix with neighbours.
            chunks += self._pack(fitting) + self.split_sections(section)
            fitting = []
        return chunks + self._pack(fitting)

    def glue_headings(self, cores: Sequence[Span]) -> list[Span]:
        """Join a chunk made only of headings to the chunk after it, when both fit.

        A section whose first subsection is too big leaves its heading alone;
        a heading is worth more as the start of the text it introduces.
        """
        out: list[Span] = []
        for span in cores:
            if out and self._only_headings(out[-1]) and span[1] - out[-1][0] <= self.chunk_size:
                out[-1] = (out[-1][0], span[1])
            else:
                out.append(span)
        return out

    def _only_headings(self, span: Span) -> bool:
        return all(line.kind in {"heading", "blank"} for line in self._lines_in(span))

    def _split_content(self, span: Span) -> list[Span]:
        """Pack the blocks of a heading-free span; oversized blocks are broken down first."""
        atoms: list[Span] = []
        for block, kind in self._blocks(span):
            if block[1] - block[0] <= self.chunk_size:
                atoms.append(block)
            else:
                atoms += self._break(block, _STEPS[kind])
        return self._pack(atoms)

    def _blocks(self, span: Span) -> list[tuple[Span, str]]:
        """Headings, paragraphs, tables, lists and fenced code as (span, kind), in order."""
        lines = self._lines_in(span)
        blocks: list[tuple[int, int, str]] = []
        is_open = False  # whether the last block may still grow
        for index, line in enumerate(lines):
            if is_open and _continues(blocks[-1][2], lines, index, self.text):
                blocks[-1] = (blocks[-1][0], line.end, blocks[-1][2])
            elif line.kind == "blank":
                is_open = False
            else:
                blocks.append((line.start, line.end, _BLOCK_KIND[line.kind]))
                is_open = True
        found = []
        for a, b, kind in blocks:
            trimmed = _trim(self.text, max(a, span[0]), min(b, span[1]))
            if trimmed is not None:
                found.append((trimmed, kind))
        return found

    def _break(self, span: Span, steps: Sequence[Splitter]) -> list[Span]:
        """Split with the first step that divides the span; recurse on pieces still too big."""
        for index, step in enumerate(steps):
            pieces = [p for p in (_trim(self.text, a, b) for a, b in step(self, span)) if p]
            if len(pieces) < 2:
                continue
            out: list[Span] = []
            for piece in pieces:
                if piece[1] - piece[0] <= self.chunk_size:
                    out.append(piece)
                else:
                    out += self._break(piece, steps[index + 1 :])
            return out
        return self._hard_split(span)

    def _hard_split(self, span: Span) -> list[Span]:
        start, end = span
        size = self.pack_limit
        pieces = (_trim(self.text, a, min(a + size, end)) for a in range(start, end, size))
        return [p for p in pieces if p]

    def _pack(self, atoms: Sequence[Span]) -> list[Span]:
        """Greedily join consecutive atoms while they fit.

        A chunk that starts at a heading gets no overlap (overlap never crosses
        a heading), so it may use all of chunk_size; this keeps a heading with
        the text under it instead of leaving it alone in a tiny chunk.
        """
        chunks: list[Span] = []
        for atom in atoms:
            if chunks:
                start = chunks[-1][0]
                limit = self.chunk_size if self._is_heading(start) else self.pack_limit
                if atom[1] - start <= limit:
                    chunks[-1] = (start, atom[1])
                    continue
            chunks.append(atom)
        return chunks

    def _is_heading(self, position: int) -> bool:
        index = bisect.bisect_left(self.heading_starts, position)
        return index < len(self.heading_starts) and self.heading_starts[index] == position

    def _lines_in(self, span: Span) -> list[_Line]:
        first = bisect.bisect_right(self.line_starts, span[0]) - 1
        return self.lines[first : bisect.bisect_left(self.line_starts, span[1])]

    # Step splitters: each returns consecutive pieces covering the span.

    def rows(self, span: Span) -> list[Span]:
        """One piece per line (table rows, code lines)."""
        return _between(span, [line.start for line in self._lines_in(span)])

    def items(self, span: Span) -> list[Span]:
        """One piece per list item at the list's outermost indentation."""
        lines = [line for line in self._lines_in(span) if line.kind == "item"]
        indent = min((_indent(self.text, line) for line in lines), default=0)
        return _between(span, [ln.start for ln in lines if _indent(self.text, ln) == indent])

    def sentences(self, span: Span) -> list[Span]:
        return _between(span, [m.end() for m in _SENTENCE_END.finditer(self.text, *span)])

    def words(self, span: Span) -> list[Span]:
        return _between(span, [m.end() for m in _WHITESPACE.finditer(self.text, *span)])


Splitter = Callable[[_Document, Span], list[Span]]

#: How each kind of oversized block is broken down, strongest boundary first.
_STEPS: dict[str, tuple[Splitter, ...]] = {
    "table": (_Document.rows, _Document.sentences, _Document.words),
    "list": (_Document.items, _Document.sentences, _Document.words),
    "code": (_Document.rows, _Document.words),
    "text": (_Document.sentences, _Document.words),
    "heading": (_Document.words,),
}
_BLOCK_KIND = {
    "heading": "heading",
    "fence_open": "code",
    "code": "code",
    "fence_close": "code",
    "table": "table",
    "item": "list",
    "text": "text",
}


def _between(span: Span, cuts: Sequence[int]) -> list[Span]:
    """The pieces of ``span`` between cut positions (cuts outside it are ignored)."""
    start, end = span
    bounds = [start, *(c for c in cuts if start < c < end), end]
    return list(pairwise(bounds))


def _continues(block: str, lines: Sequence[_Line], index: int, text: str) -> bool:
    """Whether ``lines[index]`` belongs to the open block of kind ``block``."""
    line, previous = lines[index], lines[index - 1] if index else None
    if block == "code":  # a fence runs to its closing fence, blank lines included
        return previous is not None and previous.kind != "fence_close"
    if block == "heading" or line.kind in {"heading", "fence_open"}:
        return False
    if block == "table":
        return line.kind == "table"
    if block == "list":
        if line.kind == "blank":
            return _list_resumes(lines, index, text)
        return line.kind != "table"  # items, indented continuations and lazy lines
    return line.kind == "text"


def _list_resumes(lines: Sequence[_Line], index: int, text: str) -> bool:
    """A blank line stays inside a list when the next non-blank line is an item or indented."""
    for following in lines[index + 1 :]:
        if following.kind != "blank":
            return following.kind == "item" or _indent(text, following) >= 2
    return False


def _classify_lines(text: str) -> list[_Line]:
    """Every line with its Markdown role; lines inside fenced code are never headings."""
    lines: list[_Line] = []
    fence: str | None = None
    start = 0
    while True:
        newline = text.find("\n", start)
        end = len(text) if newline == -1 else newline
        line = text[start:end]
        if fence is not None:
            closing = line.strip()
            kind = (
                "fence_close"
                if closing.startswith(fence) and not closing.strip(fence[0])
                else "code"
            )
            fence = None if kind == "fence_close" else fence
        elif opening := _FENCE.match(line):
            fence, kind = opening.group(1), "fence_open"
        else:
            kind = _line_kind(line)
        lines.append(_Line(start, end, kind))
        if newline == -1:
            return lines
        start = newline + 1


def _line_kind(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "blank"
    heading = _HEADING.match(line)
    if heading and heading.group(2):  # an empty "#" line starts no section
        return "heading"
    if stripped.startswith("|"):
        return "table"
    if _LIST_ITEM.match(line):
        return "item"
    return "text"


def _parse_heading(line: str) -> tuple[int, str]:
    match = _HEADING.match(line)
    assert match is not None, line
    return len(match.group(1)), (match.group(2) or "").strip()


def _indent(text: str, line: _Line) -> int:
    content = text[line.start : line.end]
    return len(content) - len(content.lstrip(" \t"))


def _add_overlap(
    text: str, cores: Sequence[Span], heading_starts: Sequence[int], chunk_size: int, overlap: int
) -> list[Span]:
    """Extend each chunk backwards into its predecessor by up to ``overlap`` characters."""
    spans: list[Span] = []
    for index, (start, end) in enumerate(cores):
        room = min(overlap, chunk_size - (end - start))
        if index == 0 or room <= 0:
            spans.append((start, end))
            continue
        floor = cores[index - 1][0] + 1  # never swallow the whole previous chunk
        heading = bisect.bisect_right(heading_starts, start) - 1
        if heading >= 0:
            floor = max(floor, heading_starts[heading])
        spans.append((_snap(text, max(floor, start - room), start, room), end))
    return spans


def _snap(text: str, lowest: int, start: int, room: int) -> int:
    """Where the overlap begins: the earliest sentence start in [lowest, start) if it keeps
    at least half the overlap, else the earliest word start, else no overlap at all."""
    words = [p for p in range(lowest, start) if _word_start(text, p)]
    if not words:
        return start
    for position in words:
        if start - position < room // 2:
            break
        if _sentence_start(text, position):
            return position
    return words[0]


def _word_start(text: str, position: int) -> bool:
    return not text[position].isspace() and (position == 0 or text[position - 1].isspace())


def _sentence_start(text: str, position: int) -> bool:
    """A word start after terminal punctuation, or at the start of a line."""
    index = position - 1
    while index >= 0 and text[index] in " \t":
        index -= 1
    if index < 0 or text[index] in "\r\n":
        return True
    while index >= 0 and text[index] in _CLOSERS:
        index -= 1
    return index >= 0 and text[index] in _TERMINAL
