"""The processing steps of one document, as plain functions: extract → summarise → count.

The search feature adds chunk → embed → index after these. Nothing here touches the database;
the worker stores what ``process_file`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from etagere.core.model import COMPLETED, DocumentText, PageRange, ProcessStatus
from etagere.ingestion.extraction import ExtractionError, ExtractionLimits, extract_isolated
from etagere.ingestion.summary import summarize
from etagere.ingestion.tokens import count_tokens

# Times a named step (``with timed("extract"): ...``); the worker passes its metrics' timer.
StepTimer = Callable[[str], AbstractContextManager[None]]


def untimed(_step: str) -> AbstractContextManager[None]:
    """A ``StepTimer`` that measures nothing."""
    return nullcontext()


@dataclass(frozen=True)
class Outcome:
    """What processing made of a document: its final status and derived data."""

    status: ProcessStatus
    reason: str
    text: DocumentText | None = None
    mime_type: str | None = None
    number_of_pages: int | None = None
    summary: str | None = None
    tokens_main: int | None = None
    tokens_summary: int | None = None


def process_file(
    path: Path, filename: str, limits: ExtractionLimits, timed: StepTimer = untimed
) -> Outcome:
    """Extract a file in a sandboxed child process and derive summary and token counts."""
    try:
        with timed("extract"):
            extraction = extract_isolated(path, filename=filename, limits=limits)
    except ExtractionError as exc:
        return Outcome(status=ProcessStatus.ERROR, reason=exc.message)
    pages = tuple(PageRange(p.number, p.start, p.end) for p in extraction.pages)
    if not extraction.markdown.strip():
        reason = "No text could be extracted from this document"
        if extraction.warnings:
            reason += f" ({'; '.join(extraction.warnings)})"
        return Outcome(
            status=ProcessStatus.MISSING_CONTENT,
            reason=reason,
            mime_type=extraction.mime_type,
            number_of_pages=len(pages),
        )
    with timed("summary"):
        summary = summarize(extraction.markdown)
    with timed("tokens"):
        tokens_main = count_tokens(extraction.markdown)
        tokens_summary = count_tokens(summary) if summary else 0
    return Outcome(
        status=ProcessStatus.DONE,
        reason=COMPLETED,
        text=DocumentText(text=extraction.markdown, pages=pages),
        mime_type=extraction.mime_type,
        number_of_pages=len(pages),
        summary=summary or None,
        tokens_main=tokens_main,
        tokens_summary=tokens_summary,
    )
