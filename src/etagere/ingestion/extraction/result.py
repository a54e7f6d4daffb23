"""The engine's output types and the one place where pages are joined into a document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class PageSpan:
    """Where one page lies in the markdown: ``markdown[start:end]``, 1-based ``number``."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Extraction:
    """Text of one document as Markdown, with its page map and what happened on the way."""

    markdown: str
    pages: tuple[PageSpan, ...]
    mime_type: str
    ocr_used: bool = False
    warnings: tuple[str, ...] = ()

    def page_text(self, number: int) -> str:
        """Markdown of one page (1-based), for ``text_content`` page ranges and tests."""
        span = self.pages[number - 1]
        return self.markdown[span.start : span.end]


def assemble(
    pages: Sequence[str],
    mime_type: str,
    *,
    ocr_used: bool = False,
    warnings: Sequence[str] = (),
) -> Extraction:
    """Join page texts into one Markdown string and record each page's span.

    Spans tile the whole string without gaps: the separator after a page belongs to that page,
    so any offset maps to exactly one page. A document with no pages still gets page 1.
    """
    texts = [page.strip() for page in pages] or [""]
    last_nonempty = max((i for i, text in enumerate(texts) if text), default=-1)
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for index, text in enumerate(texts):
        chunk = text + PAGE_SEPARATOR if text and index < last_nonempty else text
        parts.append(chunk)
        spans.append(PageSpan(index + 1, offset, offset + len(chunk)))
        offset += len(chunk)
    return Extraction("".join(parts), tuple(spans), mime_type, ocr_used, tuple(warnings))
