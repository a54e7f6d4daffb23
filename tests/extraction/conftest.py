"""Shared fixtures for the extraction engine tests (real files, no mocks)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from etagere.ingestion.extraction import ExtractionLimits


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ocr: needs the Tesseract binary (Debian tesseract-ocr)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip OCR tests only on a developer machine without Tesseract; CI must have it."""
    if shutil.which("tesseract") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="tesseract is not installed (apt-get install tesseract-ocr)")
    for item in items:
        if "ocr" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def docs(eval_dir: Path) -> Path:
    """The evaluation documents (only with ``ETAGERE_EVAL_DIR``; see ``tests/conftest.py``)."""
    return eval_dir / "docs"


@pytest.fixture
def limits() -> ExtractionLimits:
    return ExtractionLimits()
