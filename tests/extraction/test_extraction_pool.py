"""The pool of sandboxed extraction processes: children are reused, limits still hold.

A good document leaves its child ready for the next one (no interpreter start per document);
a hostile one (too slow, too hungry, crashing) ends in an error, costs only its own child, and
harms neither the documents extracted beside it nor the ones after it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from etagere.ingestion.extraction import (
    ExtractionError,
    ExtractionLimits,
    ExtractionTimeout,
    ExtractionTooLarge,
)
from etagere.ingestion.extraction.pool import SandboxPool
from tests.extraction.extraction_fixtures import write_text_pdf

MiB = 1024 * 1024
SMALL = ExtractionLimits(memory_bytes=300 * MiB, ocr=False)


@pytest.fixture
def pool() -> Iterator[SandboxPool]:
    running = SandboxPool()
    yield running
    running.close()


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_text_pdf(tmp_path / "good.pdf", ["A harmless first page", "And a second"])


def test_a_child_serves_document_after_document(pool: SandboxPool, good: Path) -> None:
    first = pool.extract(good, filename=None, limits=SMALL)
    [pid] = pool.idle_pids()
    again = pool.extract(good, filename=None, limits=SMALL)
    assert pool.idle_pids() == [pid], "the second document reused the first child"
    assert first == again
    assert first.page_text(2).strip() == "And a second"


def test_timeout_kills_the_child_and_the_next_document_gets_a_new_one(
    pool: SandboxPool, good: Path, tmp_path: Path
) -> None:
    pool.extract(good, filename=None, limits=SMALL)
    [warm] = pool.idle_pids()
    # Seconds of work (the page limit allows 2,000) against a 0.05 s limit.
    slow = write_text_pdf(tmp_path / "slow.pdf", [f"Page {i}" for i in range(1, 2001)])
    with pytest.raises(ExtractionTimeout):
        pool.extract(
            slow, filename=None, limits=ExtractionLimits(**{**vars(SMALL), "timeout_seconds": 0.05})
        )
    assert_gone(warm)
    assert pool.extract(good, filename=None, limits=SMALL).page_text(1).strip()
    assert pool.idle_pids() != [warm]


def test_memory_cap_holds_in_a_reused_child(pool: SandboxPool, good: Path, tmp_path: Path) -> None:
    pool.extract(good, filename=None, limits=SMALL)
    [warm] = pool.idle_pids()
    huge = tmp_path / "huge.png"
    Image.new("L", (16_000, 11_000), 255).save(huge)  # 176 MB decoded
    with pytest.raises(ExtractionTooLarge) as raised:
        pool.extract(
            huge,
            filename=None,
            limits=ExtractionLimits(**{**vars(SMALL), "memory_bytes": 200 * MiB}),
        )
    assert "memory" in raised.value.message
    pool.extract(good, filename=None, limits=SMALL)
    assert pool.idle_pids() == [warm], "the hungry file ran in a child of its own cap"


def test_failed_document_retires_its_child(pool: SandboxPool, good: Path, tmp_path: Path) -> None:
    pool.extract(good, filename=None, limits=SMALL)
    [warm] = pool.idle_pids()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + os.urandom(5000))
    with pytest.raises(ExtractionError):
        pool.extract(broken, filename=None, limits=SMALL)
    assert pool.idle_pids() == []
    assert_gone(warm)


def test_child_killed_while_idle_is_never_handed_a_document(pool: SandboxPool, good: Path) -> None:
    pool.extract(good, filename=None, limits=SMALL)
    [warm] = pool.idle_pids()
    os.kill(warm, signal.SIGKILL)
    assert pool.extract(good, filename=None, limits=SMALL).page_text(1).strip()
    assert pool.idle_pids() != [warm]


def test_hostile_file_does_not_harm_documents_extracted_beside_it(
    pool: SandboxPool, good: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.png"
    Image.new("L", (16_000, 11_000), 255).save(huge)
    hungry = ExtractionLimits(**{**vars(SMALL), "memory_bytes": 200 * MiB})

    def hostile() -> str:
        with pytest.raises(ExtractionTooLarge) as raised:
            pool.extract(huge, filename=None, limits=hungry)
        return raised.value.message

    with ThreadPoolExecutor(3) as threads:
        bad = threads.submit(hostile)
        fine = [threads.submit(pool.extract, good, filename=None, limits=SMALL) for _ in range(6)]
        texts = [f.result().page_text(2).strip() for f in fine]
        assert "memory" in bad.result()
    assert texts == ["And a second"] * 6


def assert_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
