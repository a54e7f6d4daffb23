"""Small Markdown writers shared by the format modules: tables, headings, whitespace."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.) ")
# C0/C1 controls except tab and newline; they are noise from binary-ish sources and break JSON.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def strip_controls(text: str) -> str:
    """Drop control characters and unify line endings, keeping all other Unicode."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def inline(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces: for cells and headings."""
    return " ".join(strip_controls(text).split())


def normalize(text: str) -> str:
    """Tidy prose: NFC, no controls, single spaces, no trailing blanks, at most one blank line."""
    text = unicodedata.normalize("NFC", strip_controls(text))
    lines = (_SPACES.sub(" ", line).rstrip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def heading(level: int, text: str) -> str:
    """A Markdown ATX heading, level clamped to 1..6; empty text gives no heading."""
    text = inline(text)
    return f"{'#' * min(max(level, 1), 6)} {text}" if text else ""


def escape_cell(value: object) -> str:
    """Render one table cell on a single line with pipes escaped."""
    text = "" if value is None else str(value)
    return inline(text).replace("\\", "\\\\").replace("|", "\\|")


def table(rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; the first row is the header.

    Rows are padded to the widest row; fully empty trailing columns and empty rows are dropped,
    so sparse spreadsheets do not turn into walls of pipes.
    """
    cells = [[escape_cell(value) for value in row] for row in rows]
    cells = [row for row in cells if any(row)]
    if not cells:
        return ""
    width = max((i + 1 for row in cells for i, value in enumerate(row) if value), default=0)
    cells = [(row + [""] * width)[:width] for row in cells]
    header, body = cells[0], cells[1:]
    lines = [_row(header), _row(["---"] * width)]
    lines.extend(_row(row) for row in body)
    return "\n".join(lines)


def blocks(parts: Iterable[str]) -> str:
    """Join Markdown blocks with one blank line, skipping empty ones."""
    return "\n\n".join(part for part in (p.strip("\n") for p in parts) if part.strip())


def tighten_lists(parts: Iterable[str]) -> list[str]:
    """Join consecutive list-item blocks with single newlines so they form one tight list."""
    merged: list[str] = []
    for part in parts:
        if not part.strip():
            continue
        if merged and _LIST_ITEM.match(part) and _LIST_ITEM.match(merged[-1].split("\n")[-1]):
            merged[-1] += "\n" + part
        else:
            merged.append(part)
    return merged


def _row(values: Sequence[str]) -> str:
    return "| " + " | ".join(values) + " |"
