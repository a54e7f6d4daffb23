"""Persisted search indexes (embedded mode): immutable generations in the data directory.

A generation is a complete, read-only copy of the derived indexes as of one position of the
database's ``index_log`` (its watermark): a tantivy index, one usearch graph per library and a
table, sorted by document, of each chunk's document, library, key, document number (its
document's term in the tantivy index) and slot in its library's vector file. Processes open
the newest one in milliseconds (tantivy and usearch both memory-map their files, so processes
on one data directory share the pages) and replay the log after the watermark on top of it.

Layout of the directory::

    CURRENT                 name of the newest complete generation (replaced atomically)
    writer.lock             flock of the one process that writes generations
    gen-<position>-<tag>/
        text/               tantivy index
        vectors/<library>.usearch
        documents.npy libraries.npy seqs.npy numbers.npy slots.npy
                            one row per chunk, sorted by document
        held.npy starts.npy the distinct documents and where their rows start
        manifest.json       written last: identity, watermark, next document number, the
                            size of every file

A crash while writing leaves a directory without a manifest that ``CURRENT`` never named; a
damaged one (a file missing or of the wrong size), one written by another format, analyzer or
vector type, or one ahead of or different from the database's log, is refused
(``UnusableSnapshot``) and rebuilt: it is never searched.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt
import tantivy
from usearch.index import Index as VectorIndex

from etagere.core.chunks import IndexedChunk
from etagere.search.index import vector_file
from etagere.search.index.analysis import LanguageFields
from etagere.search.index.memory import (
    TEXT_FORMAT,
    VECTOR_DTYPE,
    WRITER_HEAP,
    new_vector_index,
    open_text_index,
    stored_vectors,
    text_entry,
)

log = logging.getLogger("etagere.search")

# 2: documents named by number in the text index, chunks' vector slots in the key table.
FORMAT = 2
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
UUID_BYTES = "S16"


class UnusableSnapshot(Exception):
    """The generation on disk may not be searched (why: the message); it must be rebuilt."""


@dataclass(frozen=True)
class Watermark:
    """A position in ``index_log`` and what the entry there was (a restored database differs)."""

    position: int
    fingerprint: str


def identity(model: str) -> dict[str, Any]:
    """What a generation must have been written with to be read by this process."""
    return {"format": FORMAT, "text": TEXT_FORMAT, "vectors": VECTOR_DTYPE, "model": model}


class DocumentKeys:
    """One row per chunk, sorted by document (memory-mapped arrays, no dict): the chunk's
    document, library and key, its document's number (``document_term``) and its slot in the
    library's vector file (``NO_SLOT``: unknown, read through usearch instead).

    Lookups go through a directory of the distinct documents and where their rows start:
    binary search over 100k ids instead of two over a million rows (1.2 ms for a filter of
    1,000 documents, mostly cache misses, against 0.3 ms).
    """

    def __init__(
        self,
        documents: np.ndarray,
        libraries: np.ndarray,
        seqs: np.ndarray,
        numbers: np.ndarray,
        slots: np.ndarray,
    ) -> None:
        self.documents = documents
        self.libraries = libraries
        self.seqs = seqs
        self.numbers = numbers
        self.slots = slots
        self._directory: tuple[np.ndarray, np.ndarray] | None = None
        # The last sets of documents looked up (a search asks for its filter's keyword side,
        # the documents its process replaced, then the filter's vector side).
        self._recent: tuple[tuple[frozenset[UUID], np.ndarray, np.ndarray], ...] = ()

    @classmethod
    def empty(cls) -> DocumentKeys:
        return cls(*(np.empty(0, dtype=t) for t in _KEY_TYPES))

    @classmethod
    def of_document(
        cls, library_id: UUID, document_id: UUID, seqs: np.ndarray, number: int
    ) -> DocumentKeys:
        n = len(seqs)
        return cls(
            np.full(n, document_id.bytes, dtype=UUID_BYTES),
            np.full(n, library_id.bytes, dtype=UUID_BYTES),
            np.asarray(seqs, dtype=np.uint64),
            np.full(n, number, dtype=np.uint64),
            np.full(n, NO_SLOT, dtype=np.uint32),
        )

    @classmethod
    def concat(cls, parts: list[DocumentKeys]) -> DocumentKeys:
        columns = zip(*(p.columns() for p in parts), strict=True)
        return cls(*(np.concatenate(c).astype(t) for c, t in zip(columns, _KEY_TYPES, strict=True)))

    def columns(self) -> tuple[np.ndarray, ...]:
        return self.documents, self.libraries, self.seqs, self.numbers, self.slots

    def rows(self, document_ids: Iterable[UUID]) -> np.ndarray:
        """Row numbers of these documents' chunks."""
        first, lengths = self._spans(document_ids)
        # The spans first[i] .. first[i] + lengths[i] laid end to end, without a Python loop
        # (one ``arange`` per document cost 1 ms per 1,000 documents of a filter).
        starts = np.cumsum(lengths) - lengths
        return np.repeat(first - starts, lengths) + np.arange(int(lengths.sum()))

    def library_rows(self, document_ids: Iterable[UUID], library_id: UUID) -> np.ndarray:
        """Row numbers of these documents' chunks in one library."""
        rows = self.rows(document_ids)
        # Compared as two 64-bit integers: gathering and comparing 16-byte strings cost
        # 0.4 ms for the 10,000 chunks of 1,000 documents.
        wanted = np.frombuffer(library_id.bytes, dtype=np.uint64)
        libraries = self.libraries.view(np.uint64).reshape(-1, 2)[rows]
        mine: np.ndarray = rows[(libraries[:, 0] == wanted[0]) & (libraries[:, 1] == wanted[1])]
        return mine

    def keys(self, document_ids: Iterable[UUID], library_id: UUID) -> np.ndarray:
        """Keys of these documents' chunks in one library."""
        return np.asarray(self.seqs[self.library_rows(document_ids, library_id)], np.uint64)

    def terms(self, document_ids: Iterable[UUID]) -> list[str]:
        """The text index's terms for these documents (those it holds)."""
        first, lengths = self._spans(document_ids)
        return [document_term(int(n)) for n in self.numbers[first[lengths > 0]]]

    def _spans(self, document_ids: Iterable[UUID]) -> tuple[np.ndarray, np.ndarray]:
        """Where each document's rows start, and how many there are (0: not held)."""
        recent = self._recent
        for asked, first, lengths in recent:
            if asked is document_ids:
                return first, lengths
        first, lengths = self._find(document_ids)
        if isinstance(document_ids, frozenset):  # immutable: the same object, the same answer
            self._recent = ((document_ids, first, lengths), *recent[:1])
        return first, lengths

    def _find(self, document_ids: Iterable[UUID]) -> tuple[np.ndarray, np.ndarray]:
        held, starts = self.directory()
        wanted = np.array([d.bytes for d in document_ids], dtype=UUID_BYTES)
        if len(wanted) == 0 or len(held) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(held, wanted), len(held) - 1)
        first = np.asarray(starts[at], dtype=np.int64)
        lengths = np.asarray(starts[at + 1], dtype=np.int64) - first
        return first, np.where(held[at] == wanted, lengths, 0)

    def directory(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct documents, sorted, and the row each starts at (then the row count)."""
        if self._directory is None:
            held, first = np.unique(self.documents, return_index=True)
            self._directory = held, np.append(first, len(self.documents)).astype(np.int64)
        return self._directory

    def holds(self, document_id: UUID) -> bool:
        return len(self.rows([document_id])) > 0

    def without(self, document_ids: Iterable[UUID], library_ids: Iterable[UUID]) -> DocumentKeys:
        keep = np.ones(len(self.seqs), dtype=bool)
        keep[self.rows(document_ids)] = False
        dropped = np.array([lib.bytes for lib in library_ids], dtype=UUID_BYTES)
        if len(dropped):
            keep &= ~np.isin(self.libraries, dropped)
        return DocumentKeys(*(column[keep] for column in self.columns()))

    def save(self, directory: Path) -> None:
        order = np.argsort(self.documents, kind="stable")
        ordered = DocumentKeys(*(column[order] for column in self.columns()))
        columns = ordered.columns() + ordered.directory()
        for name, column in zip(_KEY_FILES + _DIRECTORY_FILES, columns, strict=True):
            np.save(directory / f"{name}.npy", column)

    @classmethod
    def load(cls, directory: Path) -> DocumentKeys:
        loaded = cls(*(np.load(directory / f"{n}.npy", mmap_mode="r") for n in _KEY_FILES))
        held, starts = (np.load(directory / f"{n}.npy", mmap_mode="r") for n in _DIRECTORY_FILES)
        loaded._directory = held, starts
        return loaded


_KEY_FILES = ("documents", "libraries", "seqs", "numbers", "slots")
_DIRECTORY_FILES = ("held", "starts")
_KEY_TYPES: tuple[Any, ...] = (UUID_BYTES, UUID_BYTES, np.uint64, np.uint64, np.uint32)
NO_SLOT = np.iinfo(np.uint32).max


def document_term(number: int) -> str:
    """A document's term in a generation's text index: its number, in hexadecimal.

    Not its id: a filter on 1,000 documents is a set of 1,000 terms that tantivy looks up in
    its term dictionary, and 36-character random ids made that lookup 8 ms at a million
    chunks, against 2 ms for short, dense numbers (bench/search, 1% filter).
    """
    return format(number, "x")


class Snapshot:
    """One opened generation: read-only indexes, searched beneath a process's own changes."""

    def __init__(
        self,
        path: Path,
        watermark: Watermark,
        text: tantivy.Index,
        vectors: dict[UUID, VectorIndex],
        keys: DocumentKeys,
        languages: frozenset[str] = frozenset(),
        next_number: int = 0,
    ) -> None:
        self.path = path
        self.watermark = watermark
        self.text = text
        self.vectors = vectors
        self.languages = languages  # the languages whose text fields hold chunks
        self.keys = keys
        self.next_number = next_number  # of the next document added (``document_term``)
        # Each library's stored vectors, read by slot (None: through usearch), once checked.
        self._matrices: dict[UUID, np.ndarray | None] = {}

    @property
    def name(self) -> str:
        return self.path.name

    def stored(
        self, library_id: UUID, document_ids: Iterable[UUID]
    ) -> tuple[np.ndarray, npt.NDArray[Any]]:
        """The keys of these documents' chunks in a library and their stored vectors (one
        half-float row per key), gathered from the memory-mapped file when the slots are
        known and the file reads as usearch itself answers."""
        rows = self.keys.library_rows(document_ids, library_id)
        keys = np.asarray(self.keys.seqs[rows], dtype=np.uint64)
        slots = np.asarray(self.keys.slots[rows])
        graph = self.vectors[library_id]
        if len(keys) == 0 or (slots == NO_SLOT).any():
            return stored_vectors(graph, keys)
        if library_id not in self._matrices:
            self._matrices[library_id] = self._checked_matrix(library_id, graph, keys, slots)
        matrix = self._matrices[library_id]
        if matrix is None:
            return stored_vectors(graph, keys)
        # ``take`` gathers rows a third faster than fancy indexing (0.44 ms for 10,000).
        return keys, np.take(matrix, slots, axis=0)

    def _checked_matrix(
        self, library_id: UUID, graph: VectorIndex, keys: np.ndarray, slots: np.ndarray
    ) -> np.ndarray | None:
        try:
            return vector_file.verified_matrix(
                _vector_file(self.path, library_id), graph, keys, slots
            )
        except vector_file.UnknownLayout as exc:
            log.warning("vector file read through usearch", extra={"why": str(exc)})
            return None


def current_name(root: Path) -> str | None:
    """The generation ``CURRENT`` names, or None when no generation was ever completed."""
    try:
        return (root / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


def open_current(root: Path, model: str) -> Snapshot | None:
    """Open the generation ``CURRENT`` names (None: there is none); ``UnusableSnapshot`` if bad."""
    name = current_name(root)
    if name is None:
        return None
    return open_generation(root / name, model)


def open_generation(path: Path, model: str) -> Snapshot:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise UnusableSnapshot(f"{path.name}: no readable manifest ({exc})") from exc
    if manifest.get("identity") != identity(model):
        raise UnusableSnapshot(
            f"{path.name}: written as {manifest.get('identity')}, this process reads "
            f"{identity(model)}"
        )
    for name, size in manifest["files"].items():
        try:
            actual = (path / name).stat().st_size
        except FileNotFoundError as exc:
            raise UnusableSnapshot(f"{path.name}: {name} is missing") from exc
        if actual != size:
            raise UnusableSnapshot(f"{path.name}: {name} has {actual} bytes, expected {size}")
    try:
        text = open_text_index(str(path / "text"))
        vectors = {}
        for library, dimension in manifest["libraries"].items():
            view = VectorIndex.restore(str(_vector_file(path, UUID(library))), view=True)
            if view is None or view.ndim != dimension:
                raise UnusableSnapshot(f"{path.name}: vectors of {library} do not load")
            vectors[UUID(library)] = view
        keys = DocumentKeys.load(path)
    except (ValueError, OSError, RuntimeError) as exc:
        raise UnusableSnapshot(f"{path.name}: {exc}") from exc
    mark = manifest["watermark"]
    languages = frozenset(manifest.get("languages", ()))
    watermark = Watermark(mark["position"], mark["fingerprint"])
    return Snapshot(path, watermark, text, vectors, keys, languages, manifest["next_number"])


@dataclass
class Changes:
    """What a new generation changes relative to its base."""

    replaced: set[UUID]  # documents whose base chunks go (then come back from ``fresh``)
    dropped: set[UUID]  # libraries that go entirely
    fresh: Iterator[list[tuple[UUID, UUID, list[IndexedChunk]]]]  # (library, document, chunks)


def write_generation(
    root: Path, base: Snapshot | None, changes: Changes, watermark: Watermark, model: str
) -> Path:
    """Write base + changes as a new complete generation and make it ``CURRENT``.

    Crash-safe by ordering: every file is written and fsynced, then the manifest, then
    ``CURRENT`` is replaced by a rename; a crash at any point leaves the previous generation
    current. Memory: a changed library's graph is loaded whole while it is rewritten.
    """
    path = root / f"gen-{watermark.position:012d}-{secrets.token_hex(3)}"
    (path / "vectors").mkdir(parents=True)
    if base is not None:
        shutil.copytree(base.path / "text", path / "text", copy_function=_link_segment_file)
    else:
        (path / "text").mkdir()
    text = open_text_index(str(path / "text"))
    fields = LanguageFields()
    fields.present |= base.languages if base is not None else set()
    writer = text.writer(heap_size=WRITER_HEAP, num_threads=1)
    base_keys = base.keys if base else DocumentKeys.empty()
    for term in base_keys.terms(changes.replaced):
        writer.delete_documents_by_term("document", term)
    for library_id in changes.dropped:
        writer.delete_documents_by_term("library", str(library_id))
    keys = base_keys.without(changes.replaced, changes.dropped)
    number = base.next_number if base else 0
    graphs: dict[UUID, VectorIndex] = {}
    pending = _PendingVectors(graphs)
    added: list[DocumentKeys] = [keys]
    for batch in changes.fresh:
        for library_id, document_id, chunks in batch:
            if not chunks:
                continue
            term = document_term(number)
            for chunk in chunks:
                writer.add_document(text_entry(library_id, term, chunk, fields))
            dimension = len(chunks[0].vector)
            graph = graphs.get(library_id)
            if graph is None or graph.ndim != dimension:
                pending.flush(library_id)
                graph = graphs[library_id] = _editable(base, changes, library_id, dimension)
            seqs = np.array([c.seq for c in chunks], dtype=np.uint64)
            pending.add(library_id, seqs, [c.vector for c in chunks])
            added.append(DocumentKeys.of_document(library_id, document_id, seqs, number))
            number += 1
    pending.flush()
    writer.commit()
    writer.wait_merging_threads()
    libraries: dict[str, int] = {}
    for library_id, view in base.vectors.items() if base is not None else ():
        assert base is not None
        if library_id in changes.dropped or library_id in graphs:
            continue
        if len(base.keys.keys(changes.replaced, library_id)) == 0:
            os.link(_vector_file(base.path, library_id), _vector_file(path, library_id))
            libraries[str(library_id)] = int(view.ndim)
        else:
            graphs[library_id] = _editable(base, changes, library_id, int(view.ndim))
    table = DocumentKeys.concat(added)
    for library_id, graph in graphs.items():
        graph.save(str(_vector_file(path, library_id)))
        libraries[str(library_id)] = int(graph.ndim)
        _record_slots(table, library_id, graph, _vector_file(path, library_id))
    table.save(path)
    files = {
        str(f.relative_to(path)): f.stat().st_size for f in sorted(path.rglob("*")) if f.is_file()
    }
    for name in files:
        _fsync(path / name)
    manifest = {
        "identity": identity(model),
        "watermark": {"position": watermark.position, "fingerprint": watermark.fingerprint},
        "libraries": libraries,
        "languages": sorted(fields.present),
        "next_number": number,
        "files": files,
    }
    _write_synced(path / MANIFEST, json.dumps(manifest))
    _write_synced(root / f"{CURRENT}.next", path.name)
    os.replace(root / f"{CURRENT}.next", root / CURRENT)
    _fsync_dir(root)
    return path


def remove_stale(root: Path, keep: Iterable[str]) -> None:
    """Delete generations other than ``keep`` (open ones stay readable: their files are mapped)."""
    kept = set(keep)
    for entry in root.glob("gen-*"):
        if entry.name not in kept:
            shutil.rmtree(entry, ignore_errors=True)


class _PendingVectors:
    """Vectors waiting to join their library's graph, added in large batches: usearch spreads
    one ``add`` over every core, and a call per document (ten vectors) used one."""

    BATCH = 16_384

    def __init__(self, graphs: dict[UUID, VectorIndex]) -> None:
        self.graphs = graphs
        self.keys: dict[UUID, list[np.ndarray]] = {}
        self.vectors: dict[UUID, list[np.ndarray]] = {}  # one per key

    def add(self, library_id: UUID, seqs: np.ndarray, vectors: list[np.ndarray]) -> None:
        self.keys.setdefault(library_id, []).append(seqs)
        waiting = self.vectors.setdefault(library_id, [])
        waiting.extend(vectors)
        if len(waiting) >= self.BATCH:
            self.flush(library_id)

    def flush(self, library_id: UUID | None = None) -> None:
        for library in [library_id] if library_id is not None else list(self.keys):
            keys, vectors = self.keys.pop(library, []), self.vectors.pop(library, [])
            if keys:
                stacked = np.stack(vectors).astype(np.float32)
                self.graphs[library].add(np.concatenate(keys), stacked)


def _link_segment_file(source: str, target: str) -> None:
    """Hard-link tantivy's segment files (written once, never changed: deletions and merges
    make new files), so a new generation costs no copy; copy its bookkeeping files."""
    name = os.path.basename(source)
    if name.startswith(".") or name.endswith(".json"):
        shutil.copy2(source, target)
    else:
        os.link(source, target)


def _vector_file(generation: Path, library_id: UUID) -> Path:
    return generation / "vectors" / f"{library_id}.usearch"


def _editable(
    base: Snapshot | None, changes: Changes, library_id: UUID, dimension: int
) -> VectorIndex:
    """The library's base graph loaded whole, without its replaced keys; or a new graph."""
    if base is None or library_id not in base.vectors or library_id in changes.dropped:
        return new_vector_index(dimension)
    if base.vectors[library_id].ndim != dimension:
        return new_vector_index(dimension)
    loaded = VectorIndex.restore(str(_vector_file(base.path, library_id)))
    if loaded is None:
        raise UnusableSnapshot(f"{base.name}: vectors of {library_id} do not load")
    gone = base.keys.keys(changes.replaced, library_id)
    if len(gone):
        loaded.remove(gone)
    return loaded


def _record_slots(table: DocumentKeys, library_id: UUID, graph: VectorIndex, file: Path) -> None:
    """Write into ``table`` the slot of each of the library's chunks in its saved vector file
    (``NO_SLOT`` if the file does not read as ``vector_file`` expects)."""
    rows = np.flatnonzero(table.libraries == np.array(library_id.bytes, dtype=UUID_BYTES))
    seqs = table.seqs[rows]
    try:
        slots = vector_file.slots_of(vector_file.slot_keys(file), seqs)
        vector_file.verified_matrix(file, graph, seqs, slots)
    except vector_file.UnknownLayout as exc:
        log.warning("vector slots not recorded", extra={"why": str(exc)})
        return
    table.slots[rows] = slots


def _write_synced(path: Path, text: str) -> None:
    with path.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path)
