"""Example tests: which boundaries the chunker chooses, on hand-made and real documents."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest

from etagere.ingestion.chunking import chunk_markdown
from tests.chunking.chunk_checks import Page, check_chunks

SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank. "
TABLE = "| name | value |\n|---|---|\n" + "\n".join(f"| row {i} | {i * 7} |" for i in range(12))
LIST = "\n".join(f"- item number {i} with a few words" for i in range(8))


def test_small_document_is_one_chunk() -> None:
    markdown = "# Title\n\nShort body.\n"
    (chunk,) = chunk_markdown(markdown, [], chunk_size=1000, overlap=100)
    assert (chunk.start, chunk.end, chunk.text) == (0, 20, "# Title\n\nShort body.")
    assert chunk.headings == ("Title",)


def test_empty_and_blank_documents_have_no_chunks() -> None:
    assert chunk_markdown("", [], chunk_size=100, overlap=0) == []
    assert chunk_markdown(" \n\t\n", [], chunk_size=100, overlap=0) == []


def test_heading_path_follows_nesting() -> None:
    markdown = (
        "# Intro\n\n"
        + SENTENCE * 3
        + "\n\n## Background\n\n"
        + SENTENCE * 3
        + "\n\n### Detail\n\n"
        + SENTENCE
        + "\n\n## Method\n\n"
        + SENTENCE * 3
    )
    chunks = chunk_markdown(markdown, [], chunk_size=250, overlap=0)
    paths = [c.headings for c in chunks]
    assert ("Intro",) in paths
    assert ("Intro", "Background") in paths
    assert ("Intro", "Background", "Detail") in paths
    assert paths[-1] == ("Intro", "Method")
    check_chunks(markdown, [], chunks, chunk_size=250, overlap=0)


def test_sections_split_at_headings_before_paragraphs() -> None:
    markdown = "## A\n\n" + SENTENCE * 2 + "\n\n## B\n\n" + SENTENCE * 2
    chunks = chunk_markdown(markdown, [], chunk_size=200, overlap=0)
    assert [c.text.split("\n")[0] for c in chunks] == ["## A", "## B"]


def test_small_sections_are_merged() -> None:
    markdown = "## A\n\none.\n\n## B\n\ntwo.\n\n## C\n\nthree."
    (chunk,) = chunk_markdown(markdown, [], chunk_size=len(markdown), overlap=0)
    assert chunk.headings == ("A",)


def test_headings_in_fenced_code_are_not_sections() -> None:
    markdown = "# Real\n\n```python\n# comment, not a heading\nx = 1\n```\n\n" + SENTENCE * 4
    chunks = chunk_markdown(markdown, [], chunk_size=120, overlap=0)
    assert all(c.headings == ("Real",) for c in chunks)


def test_table_kept_whole_when_it_fits() -> None:
    markdown = SENTENCE * 3 + "\n\n" + TABLE + "\n\n" + SENTENCE * 3
    chunks = chunk_markdown(markdown, [], chunk_size=len(TABLE) + 10, overlap=40)
    assert any(TABLE in c.text for c in chunks)
    check_chunks(markdown, [], chunks, chunk_size=len(TABLE) + 10, overlap=40)


def test_oversized_table_splits_between_rows() -> None:
    chunks = chunk_markdown(TABLE, [], chunk_size=80, overlap=0)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.startswith("|") and chunk.text.endswith("|")
        assert TABLE[chunk.end : chunk.end + 1] in ("", "\n")


def test_list_kept_together_when_it_fits_and_split_by_items_otherwise() -> None:
    markdown = SENTENCE + "\n\n" + LIST + "\n\n" + SENTENCE
    whole = chunk_markdown(markdown, [], chunk_size=len(LIST), overlap=0)
    assert any(c.text == LIST for c in whole)
    parts = chunk_markdown(LIST, [], chunk_size=100, overlap=0)
    assert len(parts) > 1 and all(c.text.startswith("- item") for c in parts)


def test_long_paragraph_splits_at_sentences() -> None:
    paragraph = "".join(f"Sentence number {i} says something useful. " for i in range(30)).strip()
    chunks = chunk_markdown(paragraph, [], chunk_size=200, overlap=0)
    assert len(chunks) > 1
    assert all(c.text.endswith(".") for c in chunks)


def test_unbreakable_text_is_cut_hard_within_the_limit() -> None:
    markdown = "x" * 1050
    chunks = chunk_markdown(markdown, [], chunk_size=100, overlap=20)
    check_chunks(markdown, [], chunks, chunk_size=100, overlap=20)
    assert sum(len(c.text) for c in chunks) >= 1050


def test_overlap_starts_at_a_sentence_and_stays_in_the_section() -> None:
    body = "".join(f"Fact {i} is stated here in plain words. " for i in range(20)).strip()
    markdown = "# One\n\n" + body + "\n\n# Two\n\n" + body
    chunks = chunk_markdown(markdown, [], chunk_size=300, overlap=80)
    check_chunks(markdown, [], chunks, chunk_size=300, overlap=80)
    overlapping = [(a, b) for a, b in pairwise(chunks) if b.start < a.end]
    assert overlapping
    for _, after in overlapping:
        assert after.text.startswith("Fact ")
    second = markdown.index("# Two")
    assert all(c.start == second for c in chunks if c.start <= second < c.end)


def test_pages_are_attributed() -> None:
    # Page is a stand-in with PageSpan's fields (the extraction package pulls parser
    # dependencies this test does not need).
    page_one, page_two = SENTENCE * 4, SENTENCE * 4
    markdown = page_one + "\n\n" + page_two
    pages = [Page(1, 0, len(page_one) + 2), Page(2, len(page_one) + 2, len(markdown))]
    chunks = chunk_markdown(markdown, pages, chunk_size=150, overlap=30)
    assert chunks[0].pages == (1,) and chunks[-1].pages == (2,)
    spanning = chunk_markdown(markdown, pages, chunk_size=len(markdown), overlap=0)
    assert spanning[0].pages == (1, 2)
    check_chunks(markdown, pages, chunks, chunk_size=150, overlap=30)


@pytest.mark.parametrize(("chunk_size", "overlap"), [(256, 0), (1000, 150), (2000, 200)])
def test_real_extractions_keep_every_invariant(
    eval_dir: Path, chunk_size: int, overlap: int
) -> None:
    files = sorted((eval_dir / "expected").glob("*.md"))
    assert files
    for path in files:
        markdown = path.read_text(encoding="utf-8")
        third = len(markdown) // 3
        pages = [Page(1, 0, third), Page(2, third, 2 * third), Page(3, 2 * third, len(markdown))]
        chunks = chunk_markdown(markdown, pages, chunk_size=chunk_size, overlap=overlap)
        check_chunks(markdown, pages, chunks, chunk_size=chunk_size, overlap=overlap)


def test_a_megabyte_is_chunked_quickly(eval_dir: Path) -> None:
    markdown = (eval_dir / "expected" / "docling_wiki_duck.html.md").read_text(encoding="utf-8")
    big = markdown * (1_000_000 // len(markdown) + 1)
    started = time.perf_counter()
    chunks = chunk_markdown(big, [], chunk_size=1000, overlap=150)
    assert time.perf_counter() - started < 5.0
    assert len(chunks) > 1000
