"""The formats table: every row names an extractor that exists, and citations follow it."""

from __future__ import annotations

import importlib

import pytest

from etagere.ingestion.extraction import mime
from etagere.ingestion.extraction.formats import FORMATS, TEXT, format_of, is_paged


@pytest.mark.parametrize("row", [*FORMATS, TEXT], ids=lambda f: f.name)
def test_each_format_names_a_real_extractor(row: object) -> None:
    module_name, function_name = row.extractor.split(":")  # type: ignore[attr-defined]
    module = importlib.import_module(f"etagere.ingestion.extraction.{module_name}")
    assert callable(getattr(module, function_name))


def test_no_mime_type_belongs_to_two_formats() -> None:
    seen = [t for f in FORMATS for t in f.mime_types]
    assert len(seen) == len(set(seen))


def test_paged_formats_are_cited_by_page() -> None:
    assert is_paged(mime.PDF) and is_paged(mime.PNG) and is_paged(mime.XLSX)
    assert not is_paged(mime.DOCX) and not is_paged(mime.MARKDOWN) and not is_paged(None)
    assert format_of("text/x-python") is TEXT
