"""The blob store interface: small enough that an S3-compatible implementation fits it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol, Self

from etagere.core.errors import NotFound, PayloadTooLarge

# How many leading bytes a writer keeps for content sniffing (magic numbers, text detection).
HEAD_BYTES = 8 * 1024


class BlobNotFound(NotFound):
    """No blob is stored under the key."""

    code = "blob_not_found"


class BlobStoreUnavailable(OSError):
    """The store cannot be used (directory missing, not writable, bucket unreachable)."""


@dataclass(frozen=True)
class StoredBlob:
    """A committed blob: its opaque key and what was measured while it was written."""

    key: str
    size: int
    sha256: str


class BlobWriter(Protocol):
    """A blob being written; without ``commit()`` (or on an exception) nothing is kept."""

    def write(self, chunk: bytes) -> None:
        """Append bytes; raises ``PayloadTooLarge`` (and discards the blob) past the limit."""
        ...

    def commit(self) -> StoredBlob:
        """Make the blob durable and visible under its key."""
        ...

    @property
    def size(self) -> int:
        """Bytes written so far."""
        ...

    def head(self) -> bytes:
        """The first bytes written (up to ``HEAD_BYTES``), for type detection."""
        ...

    def __enter__(self) -> BlobWriter: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BlobStore(Protocol):
    """Where uploaded files live, addressed by keys the store chooses."""

    def writer(self, max_bytes: int) -> BlobWriter:
        """Start a new blob of at most ``max_bytes`` bytes."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A binary read stream; raises ``BlobNotFound``."""
        ...

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A filesystem path holding the blob's bytes, valid inside the ``with`` block."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, older_than: float | None = None) -> Iterator[str]:
        """Committed keys, only those last written before ``older_than`` (epoch) if given."""
        ...

    def purge_abandoned_writes(self, older_than: float) -> int:
        """Remove partial writes abandoned before ``older_than`` (epoch); returns how many."""
        ...

    def check(self) -> None:
        """Raise ``BlobStoreUnavailable`` if blobs cannot be written and read back."""
        ...


def new_key() -> str:
    """A fresh key, ``ab/cd/<32 hex>``: random, so spread evenly over directories or prefixes."""
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name[2:4]}/{name}"


class ByteMeter:
    """What every writer measures as the bytes go by: size against the limit, SHA-256, head."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()
        self._head = bytearray()

    def admit(self, chunk: bytes) -> None:
        """Count ``chunk``; ``PayloadTooLarge`` (counting nothing) if it passes the limit."""
        if self.size + len(chunk) > self.max_bytes:
            raise too_large(self.max_bytes)
        self._hash.update(chunk)
        self.size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]

    def head(self) -> bytes:
        return bytes(self._head)

    def stored(self, key: str) -> StoredBlob:
        """The committed blob under ``key``, with what was measured."""
        return StoredBlob(key=key, size=self.size, sha256=self._hash.hexdigest())


class MeteredWriter:
    """What every writer shares: a ``ByteMeter`` behind ``size`` and ``head()``, and a ``with``
    block that discards the blob unless it was committed (``abort`` is harmless after it)."""

    def __init__(self, max_bytes: int) -> None:
        self._meter = ByteMeter(max_bytes)

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._meter.size

    def head(self) -> bytes:
        """The first bytes written (up to ``HEAD_BYTES``), for type detection."""
        return self._meter.head()

    def abort(self) -> None:
        """Discard the blob; harmless after ``commit()`` or a previous ``abort()``."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()


def too_large(max_bytes: int) -> PayloadTooLarge:
    """The error for an upload past ``max_bytes``, stating the limit in MB (MiB)."""
    megabytes = max_bytes / (1024 * 1024)
    shown = f"{round(megabytes, 1):g}" if megabytes >= 1 else f"{megabytes:.2g}"
    return PayloadTooLarge(f"The file is larger than the upload limit of {shown} MB.")
