"""Invariants every chunking must satisfy, checked against brute-force references."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from etagere.ingestion.chunking import Chunk

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*\r?$")


@dataclass(frozen=True)
class Page:
    """A stand-in with the same three fields as extraction's PageSpan."""

    number: int
    start: int
    end: int


def reference_heading_path(markdown: str, position: int) -> tuple[str, ...]:
    """Heading titles enclosing ``position``, by a plain line scan that skips fenced code."""
    stack: list[tuple[int, str]] = []
    fence: str | None = None
    offset = 0
    for line in markdown.split("\n"):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
        elif re.match(r" {0,3}(`{3,}|~{3,})", line):
            fence = re.match(r" {0,3}(`{3,}|~{3,})", line).group(1)  # type: ignore[union-attr]
        elif (match := _HEADING.match(line)) and match.group(2).strip():
            if offset + line.index("#") > position:
                break
            level = len(match.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, match.group(2).strip()))
        offset += len(line) + 1
        if offset > position:
            break
    return tuple(title for _, title in stack)


def check_chunks(
    markdown: str,
    pages: Sequence[Page],
    chunks: Sequence[Chunk],
    *,
    chunk_size: int,
    overlap: int,
) -> None:
    """Assert exact offsets, coverage, size, order, overlap, pages and heading paths."""
    covered = bytearray(len(markdown))
    previous: Chunk | None = None
    for ordinal, chunk in enumerate(chunks):
        assert chunk.ordinal == ordinal
        assert 0 <= chunk.start < chunk.end <= len(markdown)
        assert chunk.text == markdown[chunk.start : chunk.end]
        assert len(chunk.text) <= chunk_size
        assert not chunk.text[0].isspace() and not chunk.text[-1].isspace()
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
        if previous is not None:
            assert chunk.start > previous.start and chunk.end > previous.end
            assert previous.end - chunk.start <= overlap
        expected_pages = sorted(
            {p.number for p in pages if max(p.start, chunk.start) < min(p.end, chunk.end)}
        )
        assert chunk.pages == tuple(expected_pages)
        assert chunk.headings == reference_heading_path(markdown, chunk.start)
        previous = chunk
    missing = [i for i, char in enumerate(markdown) if not char.isspace() and not covered[i]]
    assert not missing, f"uncovered characters at {missing[:10]}"
