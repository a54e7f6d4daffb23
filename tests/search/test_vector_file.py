"""Reading usearch's saved vectors by slot, checked against what usearch itself answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from etagere.search.index import vector_file
from etagere.search.index.memory import new_vector_index

DIM = 24
RNG = np.random.default_rng(11)


def vectors(n: int) -> np.ndarray:
    matrix = RNG.normal(size=(n, DIM)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_each_slot_holds_the_vector_usearch_answers_for_its_key(tmp_path: Path) -> None:
    """After removals and additions that reuse freed slots, the file read by slot agrees
    with ``get`` for every key, and freed slots are marked."""
    graph = new_vector_index(DIM)
    keys = RNG.choice(10**12, size=3_000, replace=False).astype(np.uint64)
    graph.add(keys, vectors(len(keys)))
    graph.remove(keys[:400])
    later = RNG.choice(10**12, size=250, replace=False).astype(np.uint64) + np.uint64(10**12)
    graph.add(later, vectors(len(later)))
    path = tmp_path / "g.usearch"
    graph.save(str(path))

    slot_key = vector_file.slot_keys(path)
    matrix = vector_file.stored_matrix(path, DIM)
    live = np.concatenate([keys[400:], later])
    assert len(slot_key) == len(matrix) >= len(live)
    assert sorted(slot_key[slot_key != vector_file.FREE_KEY].tolist()) == sorted(live.tolist())
    slots = vector_file.slots_of(slot_key, live)
    expected = np.vstack(graph.get(live)).astype(np.float16)
    assert np.array_equal(matrix[slots], expected)
    assert vector_file.agrees(graph, matrix, live, slots)
    assert not vector_file.agrees(graph, matrix, live, slots[::-1].copy())
    with pytest.raises(vector_file.UnknownLayout):
        vector_file.slots_of(slot_key, np.array([7], dtype=np.uint64))  # not in the graph


def test_a_file_of_another_layout_is_refused(tmp_path: Path) -> None:
    graph = new_vector_index(DIM)
    graph.add(np.arange(1, 101, dtype=np.uint64), vectors(100))
    path = tmp_path / "g.usearch"
    graph.save(str(path))
    with pytest.raises(vector_file.UnknownLayout):
        vector_file.stored_matrix(path, DIM * 2)  # another width per vector
    damaged = tmp_path / "damaged.usearch"
    damaged.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(vector_file.UnknownLayout):
        vector_file.slot_keys(damaged)
    empty = tmp_path / "empty.usearch"
    empty.write_bytes(b"")
    with pytest.raises(vector_file.UnknownLayout):
        vector_file.stored_matrix(empty, DIM)
    garbage = tmp_path / "garbage.usearch"
    garbage.write_bytes(b"\xff" * 64)
    with pytest.raises(vector_file.UnknownLayout):
        vector_file.slot_keys(garbage)
