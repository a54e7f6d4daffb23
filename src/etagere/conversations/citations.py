"""Turn a model's answer with ``[n]`` markers into the hosted service's interleaved content.

The model is given numbered passages and asked to cite them as ``[1]``; each marker that names
a passage becomes a ``tool_reference`` chunk right where it stood, between ``text`` chunks.
``Citations`` works on a stream of text pieces (a marker may arrive split across pieces), so
streamed and plain answers are cut the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# The tail of a piece that may still grow into a marker: "[", "[1", "[1, 2"...
PARTIAL = re.compile(r"\[[\d,\s]{0,20}$")

Chunk = dict[str, Any]


class Citations:
    """Feed text pieces, get text pieces and reference chunks in reading order."""

    def __init__(self, references: Mapping[int, Chunk]) -> None:
        self.references = references
        self.buffer = ""
        self.cited = False

    def feed(self, text: str) -> list[Chunk]:
        self.buffer += text
        held = PARTIAL.search(self.buffer)
        ready, self.buffer = (
            (self.buffer[: held.start()], self.buffer[held.start() :])
            if held
            else (self.buffer, "")
        )
        return self._cut(ready)

    def close(self, final: bool = True) -> list[Chunk]:
        """The rest; when a final answer cited nothing, the references follow its text."""
        chunks = self._cut(self.buffer)
        self.buffer = ""
        if final and not self.cited:
            chunks += [self.references[n] for n in sorted(self.references)]
        return chunks

    def _cut(self, text: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        position = 0
        for match in MARKER.finditer(text):
            numbers = [int(n) for n in match.group(1).split(",")]
            if not all(n in self.references for n in numbers):
                continue
            _text(chunks, text[position : match.start()])
            chunks.extend(self.references[n] for n in numbers)
            self.cited = True
            position = match.end()
        _text(chunks, text[position:])
        return chunks


def merge(chunks: list[Chunk]) -> list[Chunk]:
    """Consecutive text pieces joined into one text chunk."""
    merged: list[Chunk] = []
    for chunk in chunks:
        if chunk["type"] == "text" and merged and merged[-1]["type"] == "text":
            merged[-1] = {"type": "text", "text": merged[-1]["text"] + chunk["text"]}
        else:
            merged.append(chunk)
    return merged


def _text(chunks: list[Chunk], text: str) -> None:
    if text:
        chunks.append({"type": "text", "text": text})
