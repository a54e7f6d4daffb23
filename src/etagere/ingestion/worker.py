"""Workers: claim a job, process its document, store the outcome; retry what crashed.

A worker holds a lease on its job and renews it from a heartbeat thread while the document is
processed. If the process dies (even ``kill -9``), the lease expires and another worker claims
the job again. Each step is observable: ``run_once`` processes exactly one job, for tests.

Fair scheduling: a job still running after ``long_job_seconds`` moves to the worker's one side
lane, and the loop goes on with the queue, smallest documents first, so a 400-page PDF cannot
keep a one-page upload waiting. Each job keeps its own lease, so a crash loses neither.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from etagere.core.chunks import FloatVector
from etagere.core.errors import StoreUnavailable
from etagere.core.model import RUNNING, ProcessStatus
from etagere.ingestion.extraction import ExtractionLimits
from etagere.ingestion.indexing import (
    EMBED_SLICE,
    ChunkingConfig,
    Embedded,
    chunk_text,
    embed_chunks,
)
from etagere.ingestion.library_profile import refresh_library_profile
from etagere.ingestion.pipeline import Outcome, process_file
from etagere.observability import Metrics, TimedEmbedder
from etagere.search.embedding import Embedder
from etagere.search.index.backend import SearchBackend
from etagere.storage.blobs import BlobStore
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import chunks as chunk_store
from etagere.storage.metadata import documents as document_store
from etagere.storage.metadata import jobs as job_store
from etagere.storage.metadata.types import utcnow

log = logging.getLogger("etagere.worker")


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker paces itself. The lease outlives a missed heartbeat or two, not more."""

    lease_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    idle_poll_seconds: float = 0.5
    max_attempts: int = 3
    #: A job running longer than this is moved aside so that the queue behind it moves on.
    long_job_seconds: float = 2.0
    limits: ExtractionLimits = field(default_factory=ExtractionLimits)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)


class Worker:
    """One processing loop; run several (threads or processes) for parallelism."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        embedder: Embedder,
        search: SearchBackend,
        config: WorkerConfig,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.metrics = metrics or Metrics()
        self.embedder: Embedder = TimedEmbedder(embedder, self.metrics)
        self.search = search
        self.config = config
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def run_forever(self, stop: threading.Event) -> None:
        """Process jobs until ``stop`` is set (current jobs, long one included, finish first)."""
        log.info("worker started", extra={"worker": self.name})
        lane = _SideLane()
        while not stop.is_set():
            try:
                busy = self._step(lane)
            except StoreUnavailable:
                # The store is unreachable: keep the loop alive and try again shortly.
                log.exception("worker cannot reach the metadata store")
                busy = False
            if not busy:
                stop.wait(self.config.idle_poll_seconds)
        lane.join()
        log.info("worker stopped", extra={"worker": self.name})

    def run_once(self) -> bool:
        """Claim and process one job; False when there was nothing to do."""
        job = self._claim(smallest_first=False)
        if job is None:
            return False
        self._handle(job)
        return True

    def _step(self, lane: _SideLane) -> bool:
        """Claim one job and run it; if it turns out long, move it aside and return."""
        job = self._claim(smallest_first=lane.busy)
        if job is None:
            return False
        runner = threading.Thread(target=self._handle_logged, args=(job,), name="job", daemon=True)
        runner.start()
        runner.join(self.config.long_job_seconds)
        if runner.is_alive() and not lane.adopt(runner):
            runner.join()  # the side lane is taken: this long job runs in the foreground
        return True

    def _claim(self, *, smallest_first: bool) -> job_store.ClaimedJob | None:
        lease = timedelta(seconds=self.config.lease_seconds)
        with self.db.write() as conn:
            return job_store.claim(conn, self.name, utcnow(), lease, smallest_first=smallest_first)

    def _handle_logged(self, job: job_store.ClaimedJob) -> None:
        """``_handle`` for a job thread: a store outage is logged; the lease brings a retry."""
        try:
            self._handle(job)
        except StoreUnavailable:
            log.exception("worker cannot reach the metadata store")

    def _handle(self, job: job_store.ClaimedJob) -> None:
        """Process one claimed job under its lease and store the outcome."""
        if job.attempts > self.config.max_attempts:
            self._give_up(job)
            return
        started = time.perf_counter()
        with _Heartbeat(self, job):
            try:
                processed = self._process(job)
            except Exception as exc:  # a bug or an outage, not a bad file: retry later
                log.exception("processing crashed", extra={"document_id": str(job.document_id)})
                with self.db.write() as conn:
                    job_store.release(conn, job, self.name, utcnow(), _describe(exc))
                self.metrics.document_processed("retried")
                return
        if processed is None:
            return
        outcome, embedded = processed
        with self.metrics.step("store"):
            stored = self._store(job, outcome, embedded)
        if not stored:
            log.info("result dropped: newer state", extra={"document_id": str(job.document_id)})
            return
        self.metrics.document_processed(outcome.status.value)
        failed = outcome.status is ProcessStatus.ERROR
        # A failure is the operator's business: say which document, where, and why.
        (log.warning if failed else log.info)(
            "document failed" if failed else "document processed",
            extra={
                **self._describe_document(job.document_id),
                "status": outcome.status.value,
                "reason": outcome.reason,
                "seconds": round(time.perf_counter() - started, 3),
                "attempt": job.attempts,
            },
        )

    def _describe_document(self, document_id: UUID) -> dict[str, str | None]:
        """The id, library and name of a document, for a log line."""
        with self.db.read() as conn:
            document = document_store.get_document(conn, document_id)
        return {
            "document_id": str(document_id),
            "library_id": str(document.library_id) if document else None,
            "document_name": document.name if document else None,
        }

    def _process(self, job: job_store.ClaimedJob) -> tuple[Outcome, Embedded] | None:
        """Extract, then chunk and embed: everything slow, outside any transaction."""
        with self.db.write() as conn:
            document = document_store.get_document(conn, job.document_id, lock=True)
            if document is None or not job_store.is_current(conn, job, self.name):
                return None
            document_store.update_document(
                conn,
                job.document_id,
                {"process_status": ProcessStatus.IN_PROGRESS, "processing_status": RUNNING},
            )
            chunk_size = chunk_store.library_chunk_size(conn, document.library_id)
        with self.blobs.local_path(document.blob_key) as path:
            outcome = process_file(path, document.name, self.config.limits, self.metrics.step)
        if outcome.text is None:
            return outcome, Embedded(chunks=[], new_vectors={})
        with self.metrics.step("chunk"):
            chunks = chunk_text(outcome.text, self.config.chunking, chunk_size)
        with self.metrics.step("embed"):
            keep = self._keep_vectors if len(chunks) > EMBED_SLICE else None
            return outcome, embed_chunks(chunks, self.embedder, self._cached_vectors, keep)

    def _cached_vectors(self, hashes: Sequence[str]) -> dict[str, FloatVector]:
        with self.db.read() as conn:
            return chunk_store.cached_vectors(conn, self.embedder.model_name, hashes)

    def _keep_vectors(self, vectors: dict[str, FloatVector]) -> None:
        """Commit a long document's vectors slice by slice: a retry after a crash reuses them."""
        with self.db.write() as conn:
            chunk_store.cache_vectors(conn, self.embedder.model_name, vectors)

    def _store(self, job: job_store.ClaimedJob, outcome: Outcome, embedded: Embedded) -> bool:
        """Replace the document's text, chunks and status and close the job, atomically.

        False when the result was dropped because a newer state won.
        """
        now = utcnow()
        model = self.embedder.model_name
        with self.db.write() as conn:
            document = document_store.get_document(conn, job.document_id, lock=True)
            if document is None or not job_store.is_current(conn, job, self.name):
                return False  # deleted, reprocessed or re-claimed meanwhile: newer state wins
            if outcome.text is not None:
                document_store.save_text(conn, job.document_id, outcome.text)
            else:
                document_store.clear_text(conn, job.document_id)
            self.search.store_chunks(conn, document.library_id, document.id, model, embedded.chunks)
            chunk_store.cache_vectors(conn, model, embedded.new_vectors)
            if embedded.chunks:
                _record_model(conn, document.library_id, model, self.embedder.dimension)
            values: dict[str, object] = {
                "process_status": outcome.status,
                "processing_status": outcome.reason,
                "summary": outcome.summary,
                "number_of_pages": outcome.number_of_pages,
                "tokens_processing_main_content": outcome.tokens_main,
                "tokens_processing_summary": outcome.tokens_summary,
                "tokens_processing_total": (outcome.tokens_main or 0)
                + (outcome.tokens_summary or 0),
                "last_processed_at": now,
                "updated_at": now,
            }
            if outcome.mime_type:
                values["mime_type"] = outcome.mime_type
            document_store.update_document(conn, job.document_id, values)
            job_store.finish(conn, job, self.name, now, failed=False)
        # Derived data, in a transaction of its own: holding the document while waiting for its
        # library would invert the lock order (library, document, job) and deadlock a delete.
        with self.db.write() as conn:
            refresh_library_profile(conn, document.library_id)
        return True

    def _give_up(self, job: job_store.ClaimedJob) -> None:
        reason = f"Processing failed {job.attempts - 1} times" + (
            f": {job.last_error}" if job.last_error else " (the worker stopped mid-job)"
        )
        now = utcnow()
        with self.db.write() as conn:
            document_store.update_document(
                conn,
                job.document_id,
                {
                    "process_status": ProcessStatus.ERROR,
                    "processing_status": reason,
                    "last_processed_at": now,
                    "updated_at": now,
                },
            )
            job_store.finish(conn, job, self.name, now, failed=True)
        self.metrics.document_processed("error")
        log.warning(
            "document failed", extra={**self._describe_document(job.document_id), "reason": reason}
        )

    def renew(self, job: job_store.ClaimedJob) -> bool:
        until = utcnow() + timedelta(seconds=self.config.lease_seconds)
        with self.db.write() as conn:
            return job_store.renew(conn, job, self.name, until)


class _SideLane:
    """Room for one long job beside the worker's loop (a thread it waits for when stopping)."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def adopt(self, thread: threading.Thread) -> bool:
        """Take ``thread`` unless another long job already runs here."""
        if self.busy:
            return False
        self.thread = thread
        return True

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()


class _Heartbeat:
    """Renews a job's lease in the background while the job runs."""

    def __init__(self, worker: Worker, job: job_store.ClaimedJob) -> None:
        self.worker = worker
        self.job = job
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.worker.config.heartbeat_seconds):
            if not self.worker.renew(self.job):
                log.warning("lease lost", extra={"document_id": str(self.job.document_id)})
                return


def _record_model(conn: Connection, library_id: UUID, model: str, dimension: int) -> None:
    """Record the library's model; it switches once no document holds another model's vectors."""
    recorded = chunk_store.library_model(conn, library_id)
    if recorded == (model, dimension):
        return
    if recorded is None or chunk_store.chunks_of_other_models(conn, library_id, model) == 0:
        chunk_store.set_library_model(conn, library_id, model, dimension)


def _describe(exc: BaseException) -> str:
    last = traceback.format_exception_only(exc)[-1].strip()
    return last[:500]
