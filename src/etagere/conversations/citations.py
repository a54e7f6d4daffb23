"""Turn a model's answer with ``[n]`` markers into the hosted service's interleaved content.

The model is given numbered passages and asked to cite them as ``[1]``; each marker that names
a passage becomes a ``tool_reference`` chunk right where it stood, between ``text`` chunks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")

Chunk = dict[str, Any]


def interleave(text: str, references: Mapping[int, Chunk]) -> list[Chunk]:
    """Text and reference chunks in reading order.

    When the model cites nothing although it was given passages, their references follow the
    text, so that the caller still sees what the answer was drawn from.
    """
    chunks: list[Chunk] = []
    cited = False
    position = 0
    for match in MARKER.finditer(text):
        numbers = [int(n) for n in match.group(1).split(",")]
        if not all(n in references for n in numbers):
            continue
        _text(chunks, text[position : match.start()])
        chunks.extend(references[n] for n in numbers)
        cited = True
        position = match.end()
    _text(chunks, text[position:])
    if not cited:
        chunks.extend(references[n] for n in sorted(references))
    return chunks


def _text(chunks: list[Chunk], text: str) -> None:
    if text:
        chunks.append({"type": "text", "text": text})
