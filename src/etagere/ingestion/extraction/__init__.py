"""Extraction engine: any supported file in, Markdown text with a page map out.

No HTTP and no database here. ``extract`` runs in-process; ``extract_isolated`` runs the
same code in a pooled child process with a timeout and a memory cap, which is what a worker should
call on untrusted uploads. Failures are ``ExtractionError`` subclasses whose message is meant
for users; a readable document without any text gives an empty ``markdown`` instead.
"""

from __future__ import annotations

from .detect import detect_type
from .engine import extract
from .errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    ExtractionError,
    ExtractionTimeout,
    ExtractionTooLarge,
    UnsupportedType,
)
from .limits import ExtractionLimits
from .pool import extract_isolated
from .result import Extraction, PageSpan

__all__ = [
    "CorruptDocument",
    "EmptyDocument",
    "EncryptedDocument",
    "Extraction",
    "ExtractionError",
    "ExtractionLimits",
    "ExtractionTimeout",
    "ExtractionTooLarge",
    "PageSpan",
    "UnsupportedType",
    "detect_type",
    "extract",
    "extract_isolated",
]
