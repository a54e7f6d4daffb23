"""RTF with striprtf: plain text (RTF structure beyond paragraphs is rarely meaningful)."""

from __future__ import annotations

from pathlib import Path

from striprtf.striprtf import rtf_to_text

from . import mime
from .errors import CorruptDocument
from .limits import ExtractionLimits
from .markdown import normalize
from .result import Extraction, assemble
from .text import read_text


def extract_rtf(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract an RTF file as plain paragraphs (one page)."""
    source = read_text(path, limits)
    try:
        text: str = rtf_to_text(source, errors="replace")  # type: ignore[no-untyped-call]
    except (ValueError, IndexError, LookupError) as exc:
        raise CorruptDocument(f"The RTF file is damaged and could not be read ({exc})") from exc
    return assemble([normalize(text)], mime.RTF)
