"""Embedded mode: chunks and embeddings in SQLite, searched through in-process indexes.

The database is the source of truth. Every change to a document's chunks appends to
``index_log`` in the same transaction; before answering, a process replays the log entries it
has not seen into its index. SQLite serialises writers, so log order is commit order and a
replay never skips a change.

With a data directory, the indexes persist as generations (``snapshot``): a process opens the
newest one, memory-mapped and shared with the other processes on the directory, and replays
only the log after its watermark (``layered``). One process at a time (whoever holds the
writer lock) writes a new generation when the log has moved on, and builds the first one, or
a replacement for one it cannot trust, in the background. Until a process can answer searches
it says so (``ready``, and ``SearchUnavailable`` after a short wait) instead of hanging.
Without a directory (tests, tools) everything is loaded from the database into memory.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np

from etagere.core.chunks import EmbeddedChunk, FloatVector, IndexedChunk, Scope, Scored
from etagere.core.errors import Unavailable
from etagere.search.index.layered import LayeredIndex
from etagere.search.index.snapshot import (
    Changes,
    Snapshot,
    UnusableSnapshot,
    Watermark,
    current_name,
    open_current,
    remove_stale,
    write_generation,
)
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import chunks as chunk_store

log = logging.getLogger("etagere.search")

# Documents loaded per query while building (bounds memory and transaction length).
LOAD_BATCH = 200
# How long a search waits for indexes that are loading before it is told to come back later.
READY_WAIT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 5
# A process that finds no usable generation while another one holds the writer lock waits
# this long for it to publish one, then loads from the database into memory on its own.
WAIT_FOR_WRITER_SECONDS = 30.0
# A new generation is written at most this often relative to how long the last one took.
CHECKPOINT_COST_FACTOR = 10


class SearchUnavailable(Unavailable):
    """Search indexes are still loading or being rebuilt."""


class EmbeddedSearchBackend:
    """``SearchBackend`` for SQLite, with tantivy and usearch indexes in this process."""

    def __init__(
        self,
        db: Database,
        directory: Path | None = None,
        *,
        model: str = "",
        checkpoint_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.directory = directory
        self.model = model
        self.checkpoint_seconds = checkpoint_seconds
        self.index = LayeredIndex(None)
        self._position = 0
        self._generation: str | None = None
        self._ready = threading.Event()
        self._loading = threading.Lock()
        self._sync_lock = threading.Lock()
        self._writer_lock: int | None = None
        self._maintained = False  # an API process's background thread opens the indexes
        self._synced_in: weakref.ref[Any] | None = None

    # -- SearchBackend ---------------------------------------------------------------------

    def store_chunks(
        self,
        conn: Connection,
        library_id: UUID,
        document_id: UUID,
        model: str,
        chunks: Sequence[EmbeddedChunk],
    ) -> None:
        chunk_store.delete_document_chunks(conn, document_id)
        if chunks:
            rows = [
                {
                    **chunk_store.chunk_values(library_id, document_id, model, chunk),
                    "vector": np.asarray(chunk.vector, dtype=np.float32).tobytes(),
                }
                for chunk in chunks
            ]
            conn.execute(chunk_store.chunks.insert(), rows)
        chunk_store.log_change(conn, library_id, document_id)

    def forget_document(self, conn: Connection, library_id: UUID, document_id: UUID) -> None:
        chunk_store.log_change(conn, library_id, document_id)

    def forget_library(self, conn: Connection, library_id: UUID) -> None:
        chunk_store.log_change(conn, library_id, None)

    def keyword(
        self, conn: Connection, scope: Scope, query: str, k: int, *, conjunction: bool = False
    ) -> list[Scored]:
        self._catch_up(conn)
        return self.index.keyword(scope, query, k, conjunction=conjunction)

    def nearest(self, conn: Connection, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        self._catch_up(conn)
        return self.index.nearest(scope, vector, k)

    def keyword_and_nearest(
        self,
        conn: Connection,
        scope: Scope,
        query: str,
        keyword_k: int,
        vector: FloatVector,
        vector_k: int,
        *,
        conjunction: bool = False,
    ) -> tuple[list[Scored], list[Scored]]:
        """Both in process: nothing to save by asking at once."""
        self._catch_up(conn)
        return (
            self.index.keyword(scope, query, keyword_k, conjunction=conjunction),
            self.index.nearest(scope, vector, vector_k),
        )

    def ready(self) -> bool:
        """Whether searches are answered now (readiness probes report it)."""
        return self._ready.is_set()

    # -- loading and catching up -----------------------------------------------------------

    def warm(self) -> None:
        """Open (or build) the indexes and catch up; returns once searches can be answered."""
        with self._loading:
            if self._ready.is_set():
                return
            if self.directory is None:
                self._install(None, Watermark(0, ""))
            else:
                self._open_or_build(self.directory)
            self._ready.set()

    def maintain(self, stop: threading.Event) -> None:
        """Warm up, then keep writing new generations while this process holds the writer lock."""
        self._maintained = True
        self.warm()
        if self.directory is None:
            return
        wait = self.checkpoint_seconds
        while not stop.wait(wait):
            if not self._hold_writer_lock():
                continue
            started = time.monotonic()
            try:
                self.checkpoint()
            except (OSError, RuntimeError, ValueError):
                log.exception("writing a search index generation failed; retrying later")
            took = time.monotonic() - started
            wait = max(self.checkpoint_seconds, CHECKPOINT_COST_FACTOR * took)

    def _catch_up(self, conn: Connection) -> None:
        """``sync`` through the search's own read transaction, once per transaction.

        A hybrid search asks both retrievers in one transaction: the second would find nothing
        new in the same snapshot, so it skips the index-log read (a weak reference, so that a
        later transaction never passes for this one).
        """
        transaction = conn.get_transaction()
        synced = self._synced_in() if self._synced_in is not None else None
        if transaction is not None and synced is transaction:
            return
        self.sync(conn)
        self._synced_in = weakref.ref(transaction) if transaction is not None else None

    def sync(self, conn: Connection | None = None) -> None:
        """Bring this process's indexes up to the database's latest committed state (or
        ``conn``'s snapshot of it)."""
        if not self._ready.is_set():
            if not self._maintained:  # a tool or a test: nobody else will open them
                self.warm()
            elif not self._ready.wait(READY_WAIT_SECONDS):
                raise SearchUnavailable(
                    "Search indexes are loading; retry shortly", RETRY_AFTER_SECONDS
                )
        with self._sync_lock:
            if self.directory is not None and current_name(self.directory) != self._generation:
                self._follow_newest(self.directory)
            if conn is not None:
                self._replay_since(conn)
            else:
                with self.db.read() as own:
                    self._replay_since(own)

    def _replay_since(self, conn: Connection) -> None:
        changes = chunk_store.changes_since(conn, self._position)
        if changes:
            self._replay(conn, changes)

    def checkpoint(self) -> bool:
        """Write a generation with every change the log holds (writer only); False if none."""
        assert self.directory is not None
        base = self.index.base
        with self.db.read() as conn:
            mark = _watermark(conn)
            if base is None:
                changes = _everything(conn)
            elif mark.position == base.watermark.position:
                return False
            else:
                changes = _since(conn, base.watermark.position)
            started = time.perf_counter()
            path = write_generation(self.directory, base, changes, mark, self.model)
        with self._sync_lock:
            self._follow_newest(self.directory)
        remove_stale(self.directory, keep=[path.name] + ([base.name] if base else []))
        log.info(
            "search index generation written",
            extra={
                "generation": path.name,
                "position": mark.position,
                "seconds": round(time.perf_counter() - started, 2),
            },
        )
        return True

    def _open_or_build(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        waited_since = time.monotonic()
        while True:
            try:
                snapshot = open_current(root, self.model)
                if snapshot is not None:
                    self._check(snapshot)
                    self._install(snapshot, snapshot.watermark)
                    return
            except UnusableSnapshot as exc:
                log.warning("search index snapshot refused; rebuilding", extra={"why": str(exc)})
            if self._hold_writer_lock():
                remove_stale(root, keep=[])
                self.checkpoint()
                continue
            if time.monotonic() - waited_since > WAIT_FOR_WRITER_SECONDS:
                log.warning("no usable search index generation; loading into memory")
                self._install(None, Watermark(0, ""))
                return
            time.sleep(0.5)

    def _follow_newest(self, root: Path) -> None:
        """Another generation was published: search it, with only the log after it replayed."""
        try:
            snapshot = open_current(root, self.model)
            if snapshot is None:
                return
            self._check(snapshot)
        except UnusableSnapshot as exc:
            log.warning("new search index generation refused", extra={"why": str(exc)})
            self._generation = current_name(root)  # do not retry it on every query
            return
        self._install(snapshot, snapshot.watermark)

    def _install(self, snapshot: Snapshot | None, mark: Watermark) -> None:
        """Search ``snapshot`` (None: nothing yet) plus the log after ``mark``, replayed now."""
        started = time.perf_counter()
        index = LayeredIndex(snapshot)
        with self.db.read() as conn:
            if snapshot is None:
                mark = _watermark(conn)
                for batch in _load_batches(conn, chunk_store.documents_with_chunks(conn)):
                    for library_id, document_id, chunks in batch:
                        index.replace_document(library_id, document_id, chunks)
                index.commit()
                changes = []
            else:
                changes = chunk_store.changes_since(conn, mark.position)
            self.index, self._position = index, mark.position
            self._generation = snapshot.name if snapshot else None
            if changes:
                self._replay(conn, changes)
        log.info(
            "search indexes opened",
            extra={
                "generation": self._generation,
                "replayed": len(changes),
                "seconds": round(time.perf_counter() - started, 2),
            },
        )

    def _check(self, snapshot: Snapshot) -> None:
        """Refuse a generation that is not a past state of this very database."""
        with self.db.read() as conn:
            if snapshot.watermark != _watermark(conn, snapshot.watermark.position):
                raise UnusableSnapshot(
                    f"{snapshot.name}: its watermark {snapshot.watermark} is not in the database"
                )

    def _replay(self, conn: Connection, changes: list[tuple[int, UUID, UUID | None]]) -> None:
        # Only the last entry per document matters: it is replaced by its current chunks.
        last_for: dict[UUID | None, int] = {}
        for position, _, document_id in changes:
            last_for[document_id] = position
        documents = [d for d in last_for if d is not None]
        current = chunk_store.indexed_chunks(conn, documents) if documents else {}
        for position, library_id, document_id in changes:
            if document_id is None:
                self.index.drop_library(library_id)
            elif last_for[document_id] == position:
                self.index.replace_document(library_id, document_id, current[document_id])
        self.index.commit()
        self._position = changes[-1][0]

    def _hold_writer_lock(self) -> bool:
        """Take the data directory's writer lock if free; kept until the process exits."""
        if self._writer_lock is not None:
            return True
        assert self.directory is not None
        fd = os.open(self.directory / "writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._writer_lock = fd
        return True


def _watermark(conn: Connection, position: int | None = None) -> Watermark:
    """The log's latest position (or ``position``) and a fingerprint of the entry there."""
    at = chunk_store.log_position(conn) if position is None else position
    return Watermark(at, chunk_store.log_fingerprint(conn, at))


def _load_batches(
    conn: Connection, documents: Sequence[tuple[UUID, UUID]]
) -> Iterator[list[tuple[UUID, UUID, list[IndexedChunk]]]]:
    for start in range(0, len(documents), LOAD_BATCH):
        batch = documents[start : start + LOAD_BATCH]
        loaded = chunk_store.indexed_chunks(conn, [d for _, d in batch])
        yield [(library, document, loaded[document]) for library, document in batch]


def _everything(conn: Connection) -> Changes:
    return Changes(set(), set(), _load_batches(conn, chunk_store.documents_with_chunks(conn)))


def _since(conn: Connection, position: int) -> Changes:
    replaced: dict[UUID, UUID] = {}
    dropped: set[UUID] = set()
    for _, library_id, document_id in chunk_store.changes_since(conn, position):
        if document_id is None:
            dropped.add(library_id)
        else:
            replaced[document_id] = library_id
    present = [(lib, doc) for doc, lib in replaced.items() if lib not in dropped]
    return Changes(set(replaced), dropped, _load_batches(conn, present))
