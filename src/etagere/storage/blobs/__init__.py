"""The blob store: uploaded files by opaque key, in a local directory or an S3-compatible bucket.

``LocalBlobStore`` suits one machine; ``s3.S3BlobStore`` (the ``s3`` extra: boto3) lets API
and worker processes on several machines share the files. Both honour the same ``BlobStore``
protocol and contract tests.
"""

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
