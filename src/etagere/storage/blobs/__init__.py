"""The blob store: uploaded files by opaque key (a local directory now, S3-compatible later)."""

from etagere.storage.blobs.local import LocalBlobStore
from etagere.storage.blobs.store import (
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    BlobWriter,
    StoredBlob,
)

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "BlobStoreUnavailable",
    "BlobWriter",
    "LocalBlobStore",
    "StoredBlob",
]
