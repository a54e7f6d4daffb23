"""The blob store: uploaded files by opaque key, in a local directory or an S3-compatible bucket.

``LocalBlobStore`` suits one machine; ``S3BlobStore`` lets API and worker processes on several
machines share the files. Both honour the same ``BlobStore`` protocol and contract tests.
"""

from etagere.storage.blobs.local import LocalBlobStore
from etagere.storage.blobs.s3 import S3BlobStore, s3_client
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
    "S3BlobStore",
    "StoredBlob",
    "s3_client",
]
