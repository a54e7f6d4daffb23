"""Reading a saved usearch graph's vectors directly, by slot, from its memory-mapped file.

A filter that keeps 1% of a million chunks asks for 10,000 stored vectors. usearch answers
``get`` with one numpy row per key (0.7 µs each, 7 ms in all: more than the exact search
over them), while the file holds every vector in one block, in slot order. A generation
records each chunk's slot (``slot_keys``) when it is written, and a filter's vectors are then
one gather from that block (``stored_matrix``).

The layout is usearch's own (2.x, dense index, not documented as an interface), so it is
never trusted blindly: ``agrees`` compares rows with what usearch itself answers, when a
generation is written and when it is opened, and a file that disagrees is read through
``get`` as before. A saved dense index is::

    u32 rows, u32 bytes per vector; rows vectors, in slot order
    64 bytes: the dense index's head (magic "usearch", version, kinds, counts)
    the graph: u64 size, connectivity, base connectivity, max level, entry slot;
      size i16 levels; size nodes, each: u64 key, i16 level,
      then (u32 count + base connectivity u32 slots),
      then level times (u32 count + connectivity u32 slots)

A removed vector's slot is kept, with the key 2^64 - 1, until a later ``add`` reuses it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from usearch.index import Index as VectorIndex

FREE_KEY = np.iinfo(np.uint64).max
_DENSE_HEAD = 64
_GRAPH_HEAD = 5  # u64 fields
_NODE_HEAD = 10  # u64 key, i16 level
_MAGIC = b"usearch"


class UnknownLayout(Exception):
    """The file is not laid out as this module reads it (another usearch version)."""


def slot_keys(path: Path) -> np.ndarray:
    """The key held in each slot of the saved graph at ``path`` (``FREE_KEY``: none)."""
    raw = _mapped(path)
    rows, width = _matrix_shape(raw)
    at = 8 + rows * width
    if bytes(raw[at : at + len(_MAGIC)]) != _MAGIC:
        raise UnknownLayout(f"{path.name}: no usearch head after the vectors")
    at += _DENSE_HEAD
    size, connectivity, base, _, _ = (
        int(v) for v in raw[at : at + 8 * _GRAPH_HEAD].view(np.uint64)
    )
    at += 8 * _GRAPH_HEAD
    if size != rows:
        raise UnknownLayout(f"{path.name}: {size} nodes for {rows} vectors")
    levels = raw[at : at + 2 * size].view(np.int16).astype(np.int64)
    at += 2 * size
    lengths = _NODE_HEAD + 4 * (1 + base) + levels * 4 * (1 + connectivity)
    starts = at + np.cumsum(lengths) - lengths
    if len(starts) and int(starts[-1] + lengths[-1]) != len(raw):
        raise UnknownLayout(f"{path.name}: the nodes do not end the file")
    keys: np.ndarray = raw[starts[:, None] + np.arange(8)].copy().view(np.uint64).ravel()
    return keys


def stored_matrix(path: Path, ndim: int) -> np.ndarray:
    """The file's vectors as a read-only ``(rows, ndim)`` half-float matrix, memory-mapped."""
    raw = _mapped(path)
    rows, width = _matrix_shape(raw)
    if width != 2 * ndim:
        raise UnknownLayout(f"{path.name}: {width} bytes per vector, expected {2 * ndim}")
    return raw[8 : 8 + rows * width].view(np.float16).reshape(rows, ndim)


def slots_of(slot_key: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The slot of each of ``keys`` (all held by the graph) in a ``slot_keys`` table."""
    order = np.argsort(slot_key, kind="stable")
    found = order[np.searchsorted(slot_key, keys, sorter=order)]
    if not np.array_equal(slot_key[found], keys):
        raise UnknownLayout("a key of the graph has no slot")
    return found.astype(np.uint32)


def verified_matrix(
    path: Path, graph: VectorIndex, keys: np.ndarray, slots: np.ndarray
) -> np.ndarray:
    """``stored_matrix``, once a sample of ``keys`` read at ``slots`` ``agrees`` with usearch."""
    matrix = stored_matrix(path, graph.ndim)
    if not agrees(graph, matrix, keys, slots):
        raise UnknownLayout(f"{path.name}: its rows disagree with usearch's answers")
    return matrix


def agrees(graph: VectorIndex, matrix: np.ndarray, keys: np.ndarray, slots: np.ndarray) -> bool:
    """Whether usearch answers, for a sample of ``keys``, the rows ``slots`` name."""
    if len(keys) == 0:
        return True
    sample = np.unique(np.linspace(0, len(keys) - 1, num=min(len(keys), 8)).astype(np.int64))
    for i in sample:
        row = graph.get(keys[i])
        if row is None or not np.array_equal(np.asarray(row, np.float16), matrix[slots[i]]):
            return False
    return True


def _mapped(path: Path) -> np.ndarray:
    try:
        return np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:  # missing, unreadable, or empty (nothing to map)
        raise UnknownLayout(f"{path.name}: {exc}") from exc


def _matrix_shape(raw: np.ndarray) -> tuple[int, int]:
    if len(raw) < 8:
        raise UnknownLayout("shorter than its header")
    rows, width = (int(v) for v in raw[:8].view(np.uint32))
    if 8 + rows * width > len(raw):
        raise UnknownLayout(f"{rows} vectors of {width} bytes do not fit in the file")
    return rows, width
