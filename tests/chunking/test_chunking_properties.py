"""Property tests: invariants hold for any Markdown-like input and any sizes."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etagere.ingestion.chunking import chunk_markdown
from tests.chunking.chunk_checks import Page, check_chunks

WORDS = st.sampled_from(
    ["alpha", "beta", "Gamma", "delta.", "end!", "why?", "x", "longword" * 12, "é", "東京。", "a|b"]
)
SPACES = st.sampled_from([" ", " ", " ", "\t", "\u00a0", "  "])


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=60))
    seps = draw(st.lists(SPACES, min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True)).rstrip()


@st.composite
def blocks(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["heading", "para", "para", "table", "list", "code", "junk"]))
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + draw(paragraphs())[:40]
    if kind == "table":
        rows = draw(st.lists(paragraphs(), min_size=1, max_size=12))
        return "| h | i |\n|---|---|\n" + "\n".join(f"| {r} | {len(r)} |" for r in rows)
    if kind == "list":
        items = draw(st.lists(paragraphs(), min_size=1, max_size=8))
        loose = draw(st.booleans())
        return ("\n\n" if loose else "\n").join(f"- {item}" for item in items)
    if kind == "code":
        body = draw(st.lists(paragraphs(), max_size=6))
        return "```\n# not a heading\n" + "\n\n".join(body) + "\n```"
    if kind == "junk":
        return draw(st.text(alphabet="#|-`~ \n\r\t.!?abc1", max_size=200))
    return draw(paragraphs())


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = draw(st.lists(blocks(), max_size=25))
    glue = draw(
        st.lists(
            st.sampled_from(["\n\n", "\n", "\n\n\n", "\r\n\r\n"]),
            min_size=len(parts),
            max_size=len(parts),
        )
    )
    return "".join(p + g for p, g in zip(parts, glue, strict=True))


@st.composite
def page_maps(draw: st.DrawFn, length: int) -> list[Page]:
    cuts = sorted(set(draw(st.lists(st.integers(0, length), max_size=8))) | {0, length})
    pages = [Page(i + 1, a, b) for i, (a, b) in enumerate(pairwise(cuts))]
    # Some extractors leave gaps (e.g. an empty page); drop a page now and then.
    return [p for p in pages if draw(st.booleans()) or len(pages) < 3]


SIZES = st.tuples(st.integers(8, 1500), st.floats(0, 0.5)).map(lambda t: (t[0], int(t[0] * t[1])))


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.data(), markdown=documents(), sizes=SIZES)
def test_invariants_on_markdown(data: st.DataObject, markdown: str, sizes: tuple[int, int]) -> None:
    chunk_size, overlap = sizes
    pages = data.draw(page_maps(len(markdown)))
    chunks = chunk_markdown(markdown, pages, chunk_size=chunk_size, overlap=overlap)
    check_chunks(markdown, pages, chunks, chunk_size=chunk_size, overlap=overlap)


@settings(max_examples=200, deadline=None, database=None)
@given(markdown=st.text(max_size=600), sizes=SIZES)
def test_invariants_on_arbitrary_text(markdown: str, sizes: tuple[int, int]) -> None:
    chunk_size, overlap = sizes
    pages = [Page(1, 0, len(markdown) // 2), Page(2, len(markdown) // 2, len(markdown))]
    chunks = chunk_markdown(markdown, pages, chunk_size=chunk_size, overlap=overlap)
    check_chunks(markdown, pages, chunks, chunk_size=chunk_size, overlap=overlap)


@settings(max_examples=100, deadline=None, database=None)
@given(markdown=documents())
def test_without_overlap_chunks_partition_the_text(markdown: str) -> None:
    chunks = chunk_markdown(markdown, [], chunk_size=200, overlap=0)
    for before, after in pairwise(chunks):
        assert before.end <= after.start


@pytest.mark.parametrize(("chunk_size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_rejects_bad_sizes(chunk_size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_markdown("text", [], chunk_size=chunk_size, overlap=overlap)
