"""The blob store on a local directory: ``root/<key>``, written through ``root/tmp``.

A blob is written to ``root/tmp/<uuid>`` and renamed into place only when committed, so a
reader never sees a partial file and a crash leaves at most a stray file under ``tmp/``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from etagere.core.errors import PayloadTooLarge
from etagere.storage.blobs.store import (
    BlobNotFound,
    BlobStoreUnavailable,
    MeteredWriter,
    StoredBlob,
    new_key,
)

TMP_DIR = "tmp"

# Keys are the store's own ("ab/cd/<hex>"); anything else is refused rather than interpreted.
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def validate_key(key: str) -> list[str]:
    """The key's path segments; ``ValueError`` for anything that could escape the root."""
    segments = key.split("/")
    if not key or any(not _KEY_SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
        raise ValueError(f"invalid blob key: {key!r}")
    if segments[0] == TMP_DIR:
        raise ValueError(f"invalid blob key (reserved prefix): {key!r}")
    return segments


class LocalBlobStore:
    """Blobs as files under one directory; safe for many concurrent writers."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / TMP_DIR
        self._tmp.mkdir(parents=True, exist_ok=True)

    def writer(self, max_bytes: int) -> LocalBlobWriter:
        """Start a new blob of at most ``max_bytes`` bytes."""
        return LocalBlobWriter(self.root, self._tmp, max_bytes)

    def path_of(self, key: str) -> Path:
        """Where the blob with this key lives (whether or not it exists)."""
        return self.root.joinpath(*validate_key(key))

    def open(self, key: str) -> BinaryIO:
        """A binary read stream; raises ``BlobNotFound``."""
        try:
            return self.path_of(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(f"No blob with key {key!r}.") from None

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """The blob's own file: extractors read it in place, no copy."""
        path = self.path_of(key)
        if not path.is_file():
            raise BlobNotFound(f"No blob with key {key!r}.")
        yield path

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        self.path_of(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def keys(self, older_than: float | None = None) -> Iterator[str]:
        """Committed keys, only those last written before ``older_than`` (epoch) if given.

        Files under ``tmp/`` are writes in progress, not blobs.
        """
        for directory, subdirs, files in os.walk(self.root):
            here = Path(directory).relative_to(self.root)
            if here == Path("."):
                subdirs[:] = [d for d in subdirs if d != TMP_DIR]
            for name in files:
                if older_than is None or _mtime(Path(directory) / name) < older_than:
                    yield (here / name).as_posix()

    def purge_abandoned_writes(self, older_than: float) -> int:
        """Remove partial writes left in ``tmp/`` by a crash before ``older_than`` (epoch)."""
        removed = 0
        for path in self._tmp.iterdir():
            if _mtime(path) < older_than:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def check(self) -> None:
        """Raise ``BlobStoreUnavailable`` unless a file can be created in the store."""
        probe = self._tmp / f"check-{uuid.uuid4().hex}"
        try:
            # A real write, not os.access: that one says yes to root on a read-only mount.
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BlobStoreUnavailable(f"blob directory {self.root} is not usable: {exc}") from exc


class LocalBlobWriter(MeteredWriter):
    """One blob being written to ``tmp/``; hashed and measured as the bytes go by."""

    def __init__(self, root: Path, tmp: Path, max_bytes: int) -> None:
        self._root = root
        self._tmp_path = tmp / uuid.uuid4().hex
        # Opened on the first write so that a writer that is never used leaves no file.
        self._file: BinaryIO | None = None
        super().__init__(max_bytes)
        self._finished = False

    def write(self, chunk: bytes) -> None:
        """Append bytes; raises ``PayloadTooLarge`` (and discards the blob) past the limit."""
        file = self._open()
        try:
            self._meter.admit(chunk)
        except PayloadTooLarge:
            self.abort()
            raise
        file.write(chunk)

    def commit(self) -> StoredBlob:
        """Flush to disk and rename into place under a fresh key."""
        file = self._open()
        file.flush()
        os.fsync(file.fileno())
        file.close()
        key = new_key()
        final = self._root / key
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._tmp_path, final)
        fsync_directory(final.parent)
        self._finished = True
        return self._meter.stored(key)

    def abort(self) -> None:
        """Discard the blob; harmless after ``commit()`` or a previous ``abort()``."""
        if self._finished:
            return
        self._finished = True
        if self._file is not None:
            self._file.close()
        self._tmp_path.unlink(missing_ok=True)

    def _open(self) -> BinaryIO:
        if self._finished:
            raise ValueError("blob writer is already committed or discarded")
        if self._file is None:
            self._file = self._tmp_path.open("xb")
        return self._file


def fsync_directory(path: Path) -> None:
    # The rename itself is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mtime(path: Path) -> float:
    """Modification time, or +inf for a file that vanished meanwhile (never "stale")."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")
