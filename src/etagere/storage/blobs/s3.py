"""The blob store on an S3-compatible bucket: ``<prefix><key>``, written by streaming.

A blob is buffered in memory up to one part; a small blob becomes a single ``PutObject`` at
commit, a larger one switches to a multipart upload, so memory stays bounded by the part size
whatever the file's size. Until ``CompleteMultipartUpload`` (or the ``PutObject``) the object
does not exist, so a reader never sees a partial blob; a crash leaves at most a pending
multipart upload, which ``purge_abandoned_writes`` aborts.

botocore's exceptions stop here: a missing object is ``BlobNotFound``, anything else that keeps
the bucket from answering (network, credentials, missing bucket) is ``BlobStoreUnavailable``.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from boto3.session import Session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from etagere.core.errors import PayloadTooLarge
from etagere.storage.blobs.local import validate_key
from etagere.storage.blobs.store import (
    BlobNotFound,
    BlobStoreUnavailable,
    MeteredWriter,
    StoredBlob,
    new_key,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.response import StreamingBody
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger("etagere.storage.blobs.s3")

MIB = 1024 * 1024
# S3 refuses parts under 5 MiB (except the last); 8 MiB is the AWS CLI's default part size.
MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 8 * MIB
# Probes written by check() live here; "tmp" is never the first segment of a blob key.
PROBE_DIR = "tmp"
DOWNLOAD_CHUNK = MIB

# The shape of the keys this store makes; other objects under the prefix are not ours to list.
_OWN_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}")
_NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


def s3_client(
    *,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> S3Client:
    """A client for any S3-compatible endpoint; thread-safe, so one is shared per process.

    Without keys, boto3's standard credential chain applies (environment, profile, role).
    """
    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        # Path-style URLs work on every S3-compatible server, without wildcard DNS per bucket.
        s3={"addressing_style": "path"},
        connect_timeout=5,
        read_timeout=60,
        # Uploads and reads run on many threads (requests, workers): keep their connections.
        max_pool_connections=32,
        # botocore's default CRC trailers are unknown to several S3-compatible servers; the
        # store measures its own SHA-256 and the transport has its own integrity checks.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # A private session: boto3's default session is not safe to share between threads.
    session = Session()
    return session.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


def normalize_prefix(prefix: str) -> str:
    """``"a/b"`` → ``"a/b/"``: a prefix names a folder, so ``a`` never sees ``ab``'s keys."""
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


class S3BlobStore:
    """Blobs as objects in one bucket under a key prefix; safe for many processes and threads."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.client = client
        self.bucket = bucket
        self.prefix = normalize_prefix(prefix)
        self.part_size = part_size

    def writer(self, max_bytes: int) -> S3BlobWriter:
        """Start a new blob of at most ``max_bytes`` bytes."""
        return S3BlobWriter(self, max_bytes)

    def object_key(self, key: str) -> str:
        """The bucket key holding the blob; ``ValueError`` for a key this store never makes."""
        validate_key(key)
        return self.prefix + key

    def open(self, key: str) -> BinaryIO:
        """A binary read stream over the object; raises ``BlobNotFound``."""
        body = self._get(key)
        return io.BufferedReader(_ObjectStream(body, key), buffer_size=DOWNLOAD_CHUNK)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """The blob downloaded to a temporary file (extractors need a real file), then removed.

        The file goes to the system temporary directory (``TMPDIR``).
        """
        self.object_key(key)  # a bad key is refused before any file is made
        fd, name = tempfile.mkstemp(prefix="etagere-blob-")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as file, self.open(key) as source:
                shutil.copyfileobj(source, file, DOWNLOAD_CHUNK)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        """Remove the blob; S3 answers a delete of a missing object with success too."""
        object_key = self.object_key(key)
        with translate_errors(f"deleting {key!r}"):
            self.client.delete_object(Bucket=self.bucket, Key=object_key)

    def exists(self, key: str) -> bool:
        """Whether the object is there (one ``HeadObject``)."""
        object_key = self.object_key(key)
        try:
            with translate_errors(f"looking up {key!r}", missing_key=key):
                self.client.head_object(Bucket=self.bucket, Key=object_key)
        except BlobNotFound:
            return False
        return True

    def keys(self, older_than: float | None = None) -> Iterator[str]:
        """Committed keys, only those last written before ``older_than`` (epoch) if given.

        Pending multipart uploads are not objects yet, so they are never listed.
        """
        paginator = self.client.get_paginator("list_objects_v2")
        with translate_errors("listing blobs"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if not _OWN_KEY.fullmatch(key):
                        continue
                    if older_than is None or item["LastModified"].timestamp() < older_than:
                        yield key

    def purge_abandoned_writes(self, older_than: float) -> int:
        """Abort multipart uploads under the prefix started before ``older_than`` (epoch).

        Their parts are stored, and billed, until aborted; a crashed writer never does it.
        """
        paginator = self.client.get_paginator("list_multipart_uploads")
        stale: list[tuple[str, str]] = []
        with translate_errors("listing multipart uploads"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].timestamp() < older_than:
                        stale.append((upload["Key"], upload["UploadId"]))
        for object_key, upload_id in stale:
            with translate_errors(f"aborting the upload of {object_key!r}"):
                try:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=object_key, UploadId=upload_id
                    )
                except ClientError as exc:
                    if _error_code(exc) != "NoSuchUpload":  # another process was faster
                        raise
        return len(stale)

    def check(self) -> None:
        """Raise ``BlobStoreUnavailable`` unless a probe object can be written, read, deleted."""
        probe = f"{self.prefix}{PROBE_DIR}/check-{uuid.uuid4().hex}"
        with translate_errors(f"checking bucket {self.bucket!r}"):
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
            try:
                self.client.get_object(Bucket=self.bucket, Key=probe)["Body"].read()
            finally:
                self.client.delete_object(Bucket=self.bucket, Key=probe)

    def _get(self, key: str) -> StreamingBody:
        object_key = self.object_key(key)
        with translate_errors(f"reading {key!r}", missing_key=key):
            return self.client.get_object(Bucket=self.bucket, Key=object_key)["Body"]


class S3BlobWriter(MeteredWriter):
    """One blob on its way to the bucket; hashed and measured as the bytes go by.

    Bytes are buffered until a part is full; the first full part starts a multipart upload.
    """

    def __init__(self, store: S3BlobStore, max_bytes: int) -> None:
        self._store = store
        # Chosen up front: a multipart upload names its object when it starts.
        self._key = new_key()
        self._object_key = store.prefix + self._key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        super().__init__(max_bytes)
        self._finished = False

    def write(self, chunk: bytes) -> None:
        """Append bytes; raises ``PayloadTooLarge`` (and discards the blob) past the limit."""
        self._check_open()
        try:
            self._meter.admit(chunk)
        except PayloadTooLarge:
            self.abort()
            raise
        self._buffer += chunk
        part_size = self._store.part_size
        while len(self._buffer) >= part_size:
            self._upload_part(bytes(memoryview(self._buffer)[:part_size]))
            del self._buffer[:part_size]

    def commit(self) -> StoredBlob:
        """Make the object: one ``PutObject``, or the last part and ``CompleteMultipartUpload``."""
        self._check_open()
        store = self._store
        try:
            if self._upload_id is None:
                with translate_errors("storing a blob"):
                    store.client.put_object(
                        Bucket=store.bucket, Key=self._object_key, Body=bytes(self._buffer)
                    )
            else:
                if self._buffer:
                    self._upload_part(bytes(self._buffer))
                with translate_errors("completing a multipart upload"):
                    store.client.complete_multipart_upload(
                        Bucket=store.bucket,
                        Key=self._object_key,
                        UploadId=self._upload_id,
                        MultipartUpload={"Parts": self._parts},
                    )
        except BaseException:
            self.abort()
            raise
        self._finished = True
        self._buffer = bytearray()
        return self._meter.stored(self._key)

    def abort(self) -> None:
        """Discard the blob; harmless after ``commit()`` or a previous ``abort()``."""
        if self._finished:
            return
        self._finished = True
        self._buffer = bytearray()
        if self._upload_id is None:
            return
        store = self._store
        try:
            store.client.abort_multipart_upload(
                Bucket=store.bucket, Key=self._object_key, UploadId=self._upload_id
            )
        except (BotoCoreError, ClientError) as exc:
            # Not raised: abort runs while another error is on its way out. The pending upload
            # is not a blob, and purge_abandoned_writes removes it later.
            log.warning(
                "could not abort multipart upload; it will be purged later",
                extra={"key": self._object_key, "error": str(exc)},
            )

    def _upload_part(self, data: bytes) -> None:
        store = self._store
        try:
            if self._upload_id is None:
                with translate_errors("starting a multipart upload"):
                    created = store.client.create_multipart_upload(
                        Bucket=store.bucket, Key=self._object_key
                    )
                self._upload_id = created["UploadId"]
            number = len(self._parts) + 1
            with translate_errors("uploading a part"):
                part = store.client.upload_part(
                    Bucket=store.bucket,
                    Key=self._object_key,
                    UploadId=self._upload_id,
                    PartNumber=number,
                    Body=data,
                )
        except BaseException:
            self.abort()
            raise
        self._parts.append({"ETag": part["ETag"], "PartNumber": number})

    def _check_open(self) -> None:
        if self._finished:
            raise ValueError("blob writer is already committed or discarded")


class _ObjectStream(io.RawIOBase):
    """An object's body as a raw stream, so that ``open()`` returns a real ``BinaryIO``.

    A read that fails half-way (connection reset, timeout) is ``BlobStoreUnavailable``.
    """

    def __init__(self, body: StreamingBody, key: str) -> None:
        super().__init__()
        self._body = body
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        with translate_errors(f"reading {self._key!r}"):
            data = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            # Closing before the end drops the connection instead of draining the object.
            self._body.close()
        super().close()


@contextmanager
def translate_errors(doing: str, *, missing_key: str | None = None) -> Iterator[None]:
    """botocore's errors as the store's: ``BlobNotFound`` for ``missing_key``, else unavailable."""
    try:
        yield
    except ClientError as exc:
        code = _error_code(exc)
        if missing_key is not None and code in _NOT_FOUND_CODES:
            raise BlobNotFound(f"No blob with key {missing_key!r}.") from None
        message = exc.response.get("Error", {}).get("Message", "")
        raise BlobStoreUnavailable(f"S3 error while {doing}: {code} {message}".strip()) from exc
    except BotoCoreError as exc:
        raise BlobStoreUnavailable(f"S3 unreachable while {doing}: {exc}") from exc


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
