"""The import engine: plan, upload with bounded concurrency, then (optionally) follow processing.

Resuming is the server's own dedup made cheap: before sending anything the engine lists the
library's documents and their SHA-256, hashes each local file, and skips what is already held,
so a second run after an interruption sends only what is missing. A file is uploaded at most
once per run even if it appears twice. Ctrl-C stops starting new uploads, lets the ones in
flight finish (so the summary is exact), and reports the rest as not sent; a second Ctrl-C
abandons the in-flight ones too.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, Literal, Protocol, cast

from etagere.transfer import attributes as attrs
from etagere.transfer.remote import ApiError, LibraryApi, RemoteLibrary
from etagere.transfer.retry import RetriesExhausted
from etagere.transfer.sources import Source

Outcome = Literal["uploaded", "exists", "refused", "failed", "would_upload", "not_sent"]
SETTLED = frozenset({"done", "error", "missing_content"})
HASH_CHUNK = 1024 * 1024
POLL_SECONDS = 1.0


@dataclass
class FileResult:
    """What happened to one file; ``reason`` says why for anything but success."""

    source: Source
    outcome: Outcome = "not_sent"
    sha256: str | None = None
    reason: str | None = None
    document_id: str | None = None
    process_status: str | None = None
    processing_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.source.label,
            "name": self.source.name,
            "size": self.source.size,
            "sha256": self.sha256,
            "outcome": self.outcome,
            "reason": self.reason,
            "document_id": self.document_id,
            "process_status": self.process_status,
            "processing_reason": self.processing_reason,
        }


@dataclass(frozen=True)
class ImportOptions:
    concurrency: int = 4
    wait: bool = False
    dry_run: bool = False
    attributes: Mapping[str, attrs.AttributeValue] = field(default_factory=dict)


class ImportObserver(Protocol):
    """What a progress display is told; every method is called from the main thread."""

    def uploading(self, files: int, size: int) -> None: ...
    def sent(self, nbytes: int) -> None: ...
    def finished(self, result: FileResult) -> None: ...
    def processing(self, settled: int, total: int, counts: Mapping[str, int]) -> None: ...


class ImportInterrupted(Exception):
    """Ctrl-C: the results gathered so far are in ``results``."""

    def __init__(self, results: list[FileResult]) -> None:
        super().__init__("interrupted")
        self.results = results


class Importer:
    """One import run into one library."""

    def __init__(
        self,
        api: LibraryApi,
        library: RemoteLibrary | None,
        options: ImportOptions,
        observer: ImportObserver,
    ) -> None:
        self.api = api
        self.library = library  # None only for a dry run into a library to be created
        self.options = options
        self.observer = observer
        self._held: dict[str, dict[str, Any]] = {}
        self._claimed: dict[str, str] = {}  # sha256 -> label of the file that sends it
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._progress: list[int] = []  # bytes sent, reported by upload threads

    def run(self, sources: list[Source]) -> list[FileResult]:
        """Upload every source; raises ``ImportInterrupted`` (with results) on Ctrl-C."""
        if self.library is not None:
            self._held = {d["hash"]: d for d in self.api.documents(self.library.id) if d["hash"]}
        results = [FileResult(source) for source in sources]
        self.observer.uploading(len(sources), sum(s.size for s in sources))
        try:
            self._upload_all(results)
        except KeyboardInterrupt:
            raise ImportInterrupted(results) from None
        if self.options.wait and not self.options.dry_run:
            try:
                self._follow_processing(results)
            except KeyboardInterrupt:
                raise ImportInterrupted(results) from None
        return results

    def _upload_all(self, results: list[FileResult]) -> None:
        limit = max(1, self.options.concurrency)
        pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="etagere-import")
        queue: Iterator[FileResult] = iter(results)
        running: set[Future[FileResult]] = set()
        try:
            while True:
                try:
                    while not self._stopping.is_set() and len(running) < 2 * limit:
                        nxt = next(queue, None)
                        if nxt is None:
                            break
                        running.add(pool.submit(self._one, nxt))
                    if not running:
                        break
                    done, running = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
                    self._report(done)
                except KeyboardInterrupt:
                    if self._stopping.is_set():
                        raise  # second Ctrl-C: abandon what is in flight
                    self._stopping.set()
            self._report(set())
        finally:
            # Results live in the FileResult objects, so a future never reported loses nothing.
            pool.shutdown(wait=not running, cancel_futures=True)
        if self._stopping.is_set():
            raise KeyboardInterrupt

    def _report(self, done: set[Future[FileResult]]) -> None:
        with self._lock:
            sent, self._progress = sum(self._progress), []
        if sent:
            self.observer.sent(sent)
        for future in done:
            self.observer.finished(future.result())

    def _one(self, result: FileResult) -> FileResult:
        """Hash, then skip or upload one file (in a pool thread)."""
        source = result.source
        try:
            result.sha256, head = self._hash(source)
            wanted = self._attributes(source, head)
            with self._lock:
                held = self._held.get(result.sha256)
                first = self._claimed.setdefault(result.sha256, source.label)
            if held is not None or first != source.label:
                self._skip(result, held, first, wanted)
                return result
            if self.options.dry_run or self._stopping.is_set():
                result.outcome = "would_upload" if self.options.dry_run else "not_sent"
                return result
            self._upload(result, wanted)
        except attrs.AttributeProblem as exc:
            result.outcome, result.reason = "refused", str(exc)
        except ApiError as exc:
            result.outcome = "refused" if exc.status < 500 else "failed"
            result.reason = f"{exc.status}: {exc.detail}"
        except RetriesExhausted as exc:
            result.outcome, result.reason = "failed", f"gave up after retries: {exc.reason}"
        except OSError as exc:
            result.outcome, result.reason = "failed", f"cannot read the file: {exc}"
        return result

    def _skip(
        self,
        result: FileResult,
        held: dict[str, Any] | None,
        first: str,
        wanted: dict[str, attrs.AttributeValue],
    ) -> None:
        """A file whose bytes the library holds, or that an earlier file of this run sends."""
        result.outcome = "exists"
        self._count(result.source.size)
        if held is None:
            result.reason = f"same content as {first}"
            return
        result.document_id = held["id"]
        result.reason = f"the library holds it as {held['name']!r}"
        # Attributes come from the first file with these bytes, not from its copies.
        first_copy = first == result.source.label
        if wanted and first_copy and not self.options.dry_run and held.get("attributes") != wanted:
            self._set_attributes(held["id"], wanted)

    def _upload(self, result: FileResult, wanted: dict[str, attrs.AttributeValue]) -> None:
        assert self.library is not None
        counted = [0]

        def on_read(nbytes: int) -> None:
            self._count(nbytes)
            counted[0] += nbytes

        @contextmanager
        def counting() -> Iterator[IO[bytes]]:
            self._count(-counted[0])  # a retry sends the file again from its start
            counted[0] = 0
            with result.source.open() as stream:
                # httpx only calls read, seek, tell and fileno, which the reader has.
                yield cast(IO[bytes], _CountingReader(stream, on_read))

        try:
            uploaded = self.api.upload(self.library.id, result.source.name, counting)
        finally:
            self._count(result.source.size - counted[0])  # the bar ends full, sent or refused
        result.outcome = "uploaded" if uploaded.created else "exists"
        if not uploaded.created:
            result.reason = f"the library holds it as {uploaded.document['name']!r}"
        result.document_id = uploaded.document["id"]
        if wanted and uploaded.document.get("attributes") != wanted:
            self._set_attributes(result.document_id, wanted)

    def _set_attributes(self, document_id: str, wanted: dict[str, attrs.AttributeValue]) -> None:
        assert self.library is not None
        self.api.set_attributes(self.library.id, document_id, wanted)

    def _attributes(self, source: Source, head: bytes) -> dict[str, attrs.AttributeValue]:
        front = (
            attrs.from_front_matter(head)
            if source.name.lower().endswith(attrs.FRONT_MATTER_SUFFIXES)
            else {}
        )
        sidecar = attrs.from_sidecar(source.sidecar, source.label) if source.sidecar else {}
        return attrs.merged(front, sidecar, self.options.attributes)

    def _hash(self, source: Source) -> tuple[str, bytes]:
        digest = hashlib.sha256()
        head = b""
        with source.open() as stream:
            while chunk := stream.read(HASH_CHUNK):
                if len(head) < attrs.FRONT_MATTER_MAX_BYTES:
                    head += chunk[: attrs.FRONT_MATTER_MAX_BYTES - len(head)]
                digest.update(chunk)
        return digest.hexdigest(), head

    def _count(self, nbytes: int) -> None:
        if nbytes:
            with self._lock:
                self._progress.append(nbytes)

    def _follow_processing(self, results: list[FileResult]) -> None:
        assert self.library is not None
        by_id = {r.document_id: r for r in results if r.document_id}
        while True:
            for doc in self.api.documents(self.library.id):
                result = by_id.get(doc["id"])
                if result is not None:
                    result.process_status = doc["process_status"]
                    if doc["process_status"] in ("error", "missing_content"):
                        result.processing_reason = doc.get("processing_status")
            counts = Counter(r.process_status or "deleted" for r in by_id.values())
            settled = sum(n for status, n in counts.items() if status in SETTLED)
            self.observer.processing(settled, len(by_id), counts)
            if settled >= len(by_id) or not by_id:
                return
            time.sleep(POLL_SECONDS)


class _CountingReader:
    """A stream that reports how many bytes were read from it (for the bytes bar).

    ``fileno``, ``tell`` and ``seek`` pass through so that httpx can measure the file and send
    a ``Content-Length`` (the server then refuses an oversized file before reading it).
    """

    def __init__(self, stream: IO[bytes], on_read: Callable[[int], object]) -> None:
        self._stream = stream
        self._on_read = on_read

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._on_read(len(data))
        return data

    def fileno(self) -> int:
        return self._stream.fileno()

    def tell(self) -> int:
        return self._stream.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)
