"""Cutting an answer's ``[n]`` markers into reference chunks, whole or streamed in pieces."""

from __future__ import annotations

from typing import Any

from etagere.conversations.citations import Citations, merge

REFS: dict[int, dict[str, Any]] = {
    1: {"type": "tool_reference", "title": "a.pdf, p. 1"},
    2: {"type": "tool_reference", "title": "b.pdf, p. 7"},
}


def _cut(pieces: list[str], final: bool = True) -> list[dict[str, Any]]:
    citations = Citations(REFS)
    chunks = [chunk for piece in pieces for chunk in citations.feed(piece)]
    return merge([*chunks, *citations.close(final)])


def test_markers_become_references_where_they_stood() -> None:
    assert _cut(["Zebras cross [1]. Herds follow [2, 1]; see [9]."]) == [
        {"type": "text", "text": "Zebras cross "},
        REFS[1],
        {"type": "text", "text": ". Herds follow "},
        REFS[2],
        REFS[1],
        {"type": "text", "text": "; see [9]."},
    ]


def test_a_marker_split_across_streamed_pieces_is_still_found() -> None:
    whole = _cut(["Zebras cross [1]. Herds follow [2, 1]; see [9]."])
    pieces = ["Zeb", "ras cross [", "1", "]. Herds follow [2", ", 1]; see [9", "]."]
    assert _cut(pieces) == whole


def test_an_answer_citing_nothing_is_followed_by_its_sources_unless_not_final() -> None:
    assert _cut(["No markers here."]) == [
        {"type": "text", "text": "No markers here."},
        *REFS.values(),
    ]
    assert _cut(["Let me search."], final=False) == [{"type": "text", "text": "Let me search."}]


def test_an_unfinished_bracket_is_text_in_the_end() -> None:
    assert _cut(["Ranges like [1, 2"], final=False) == [
        {"type": "text", "text": "Ranges like [1, 2"}
    ]
