"""Generated bad inputs: wrong bytes, zip bombs, broken PDFs, huge PDFs, time and memory caps."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from PIL import Image

from etagere.ingestion.extraction import (
    CorruptDocument,
    ExtractionLimits,
    ExtractionTimeout,
    ExtractionTooLarge,
    UnsupportedType,
    extract,
    extract_isolated,
)
from tests.extraction.extraction_fixtures import docx_with_bomb, understate_sizes, write_text_pdf
from tests.extraction.test_extraction_eval_docs import assert_valid

MiB = 1024 * 1024


def test_random_bytes_named_pdf_are_unsupported(tmp_path: Path, limits: ExtractionLimits) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(UnsupportedType):
        extract(path, filename="report.pdf", limits=limits)


def test_pdf_header_followed_by_garbage_is_corrupt(
    tmp_path: Path, limits: ExtractionLimits
) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(5000))
    with pytest.raises(CorruptDocument) as raised:
        extract(path, filename=None, limits=limits)
    assert "PDF" in raised.value.message


def test_truncated_pdf_is_corrupt(tmp_path: Path, samples: Path, limits: ExtractionLimits) -> None:
    data = (samples / "word_processors.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDocument):
        extract(path, filename=None, limits=limits)


def test_zip_bomb_in_docx_is_refused_by_declared_size(tmp_path: Path, samples: Path) -> None:
    bomb = docx_with_bomb(samples / "report.docx", tmp_path / "bomb.docx", 24 * MiB)
    assert bomb.stat().st_size < 2 * MiB  # it really is a bomb: small file, big content
    limits = ExtractionLimits(max_decompressed_bytes=16 * MiB)
    with pytest.raises(ExtractionTooLarge) as raised:
        extract(bomb, filename=None, limits=limits)
    assert "zip bomb" in raised.value.message


def test_zip_bomb_over_the_default_cap(
    tmp_path: Path, samples: Path, limits: ExtractionLimits
) -> None:
    bomb = docx_with_bomb(samples / "report.docx", tmp_path / "bomb.docx", 520 * MiB)
    with pytest.raises(ExtractionTooLarge):
        extract(bomb, filename=None, limits=limits)


def test_zip_bomb_that_lies_about_sizes_is_stopped(tmp_path: Path, samples: Path) -> None:
    bomb = docx_with_bomb(samples / "report.docx", tmp_path / "liar.docx", 24 * MiB)
    understate_sizes(bomb, declared=1000)
    limits = ExtractionLimits(max_decompressed_bytes=16 * MiB)
    with pytest.raises((ExtractionTooLarge, CorruptDocument)):
        extract(bomb, filename=None, limits=limits)


def test_thousand_page_pdf_within_limits(tmp_path: Path, limits: ExtractionLimits) -> None:
    path = write_text_pdf(
        tmp_path / "big.pdf", [f"Page number {i} of the big file" for i in range(1, 1001)]
    )
    started = time.perf_counter()
    result = extract(path, filename=None, limits=limits)
    assert time.perf_counter() - started < 30
    assert len(result.pages) == 1000
    assert result.page_text(1).strip() == "Page number 1 of the big file"
    assert result.page_text(777).strip() == "Page number 777 of the big file"
    assert_valid(result)


def test_page_cap_refuses_rather_than_truncates(tmp_path: Path) -> None:
    path = write_text_pdf(tmp_path / "big.pdf", [f"Page {i}" for i in range(1, 1001)])
    with pytest.raises(ExtractionTooLarge) as raised:
        extract(path, filename=None, limits=ExtractionLimits(max_pages=100))
    assert "1,000 pages" in raised.value.message


def test_isolated_extraction_matches_in_process(samples: Path, limits: ExtractionLimits) -> None:
    path = samples / "word_processors.pdf"
    assert extract_isolated(path, filename=None, limits=limits) == extract(
        path, filename=None, limits=limits
    )


def test_isolated_extraction_carries_errors_across(
    tmp_path: Path, limits: ExtractionLimits
) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(UnsupportedType):
        extract_isolated(path, filename=None, limits=limits)


def test_isolated_timeout_kills_the_child(tmp_path: Path) -> None:
    path = write_text_pdf(tmp_path / "big.pdf", [f"Page {i}" for i in range(1, 1001)])
    started = time.perf_counter()
    with pytest.raises(ExtractionTimeout):
        extract_isolated(path, filename=None, limits=ExtractionLimits(timeout_seconds=0.05))
    assert time.perf_counter() - started < 5


def test_isolated_memory_cap(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    Image.new("L", (16_000, 11_000), 255).save(path)  # 176 MB decoded, below the bomb limit
    limits = ExtractionLimits(memory_bytes=200 * MiB, ocr=False)
    with pytest.raises(ExtractionTooLarge) as raised:
        extract_isolated(path, filename=None, limits=limits)
    assert "memory" in raised.value.message


FRENCH = "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà des îles."


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("latin-1", "Déjà vu à la crème brûlée, garçon naïf. " * 5),
        ("cp1252", "“Smart quotes” cost 5 € — naïve café. " * 5),
        ("utf-16", FRENCH),
        ("utf-16-le", "Plain ASCII-ish text stored as UTF-16 without a byte order mark."),
        ("utf-8", "Ünïcödé plain text: 日本語も大丈夫です。"),
    ],
)
def test_plain_text_encodings(
    tmp_path: Path, limits: ExtractionLimits, encoding: str, text: str
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(text.encode(encoding))
    result = extract(path, filename="notes.txt", limits=limits)
    assert result.mime_type == "text/plain"
    assert result.markdown == " ".join(text.split())


def test_large_text_file_over_cap_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"line of log\n" * 200_000)
    with pytest.raises(ExtractionTooLarge):
        extract(path, filename=None, limits=ExtractionLimits(max_decompressed_bytes=1 * MiB))
