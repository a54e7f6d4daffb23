"""In-process extraction: detect the type from content, then hand over to one format module."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from .detect import detect_type
from .errors import EmptyDocument, UnsupportedType
from .formats import UNSUPPORTED, format_of
from .limits import ExtractionLimits
from .result import Extraction

_Extractor = Callable[[Path, ExtractionLimits], Extraction]


def extract(path: Path, *, filename: str | None, limits: ExtractionLimits) -> Extraction:
    """Extract a document's text as Markdown with its page map, in this process."""
    if path.stat().st_size == 0:
        raise EmptyDocument()
    mime_type = detect_type(path, filename)
    return _extractor(mime_type)(path, limits)


def _extractor(mime_type: str) -> _Extractor:
    if mime_type in UNSUPPORTED:
        raise UnsupportedType(UNSUPPORTED[mime_type])
    found = format_of(mime_type)
    function = _load(found.extractor)
    return partial(_call_with_type, function, mime_type) if found.takes_type else function


def _call_with_type(
    function: Callable[[Path, str, ExtractionLimits], Extraction],
    mime_type: str,
    path: Path,
    limits: ExtractionLimits,
) -> Extraction:
    return function(path, mime_type, limits)


def _load(target: str) -> Callable[..., Extraction]:
    module_name, function_name = target.split(":")
    module = importlib.import_module(f"{__package__}.{module_name}")
    function: Callable[..., Extraction] = getattr(module, function_name)
    return function
