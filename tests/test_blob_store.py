"""The blob store contract, on both stores: a real directory and a real S3 bucket (SeaweedFS).

Round trips, limits, abandonment, concurrency and key validation hold for every store; tests
of one store's own mechanics (directory permissions, multipart uploads) follow the contract.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from etagere.core.errors import NotFound, PayloadTooLarge
from etagere.storage.blobs import (
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    LocalBlobStore,
    StoredBlob,
)
from etagere.storage.blobs.s3 import MIN_PART_SIZE, S3BlobStore
from etagere.storage.blobs.store import HEAD_BYTES
from tests.support.seaweedfs import S3Endpoint

AnyStore = LocalBlobStore | S3BlobStore


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest, root: Path) -> AnyStore:
    """Each store the server can run on, empty (S3: a fresh bucket, smallest part size)."""
    if request.param == "local":
        return LocalBlobStore(root)
    endpoint: S3Endpoint = request.getfixturevalue("s3_endpoint")
    bucket: str = request.getfixturevalue("s3_bucket")
    return S3BlobStore(endpoint.client(), bucket, prefix="blobs/", part_size=MIN_PART_SIZE)


@pytest.fixture
def local_store(root: Path) -> LocalBlobStore:
    return LocalBlobStore(root)


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def everything_stored(store: AnyStore) -> list[str]:
    """All the store holds, partial writes included: files, or objects and pending uploads."""
    if isinstance(store, LocalBlobStore):
        return [p.relative_to(store.root).as_posix() for p in files_under(store.root)]
    return sorted(objects_in(store) + partial_writes(store))


def objects_in(store: S3BlobStore) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def partial_writes(store: AnyStore) -> list[str]:
    """Writes in progress: files in ``tmp/``, or pending multipart uploads."""
    if isinstance(store, LocalBlobStore):
        return [p.name for p in files_under(store.root / "tmp")]
    listed = store.client.list_multipart_uploads(Bucket=store.bucket)
    return ["upload:" + upload["Key"] for upload in listed.get("Uploads", [])]


def put(store: BlobStore, data: bytes, chunk: int = 1000) -> StoredBlob:
    with store.writer(max_bytes=len(data) + 1) as writer:
        for i in range(0, len(data), chunk):
            writer.write(data[i : i + chunk])
        return writer.commit()


def test_round_trip(blob_store: AnyStore) -> None:
    data = os.urandom(300_000)
    blob = put(blob_store, data, chunk=7919)

    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob_store.exists(blob.key)
    with blob_store.open(blob.key) as stream:
        assert stream.read() == data
    assert list(blob_store.keys()) == [blob.key]
    assert partial_writes(blob_store) == []

    blob_store.delete(blob.key)
    assert not blob_store.exists(blob.key)
    assert list(blob_store.keys()) == []
    blob_store.delete(blob.key)  # idempotent
    with pytest.raises(BlobNotFound):
        blob_store.open(blob.key)
    assert everything_stored(blob_store) == []


def test_keys_are_opaque_and_fresh(blob_store: AnyStore) -> None:
    first, second = put(blob_store, b"same bytes"), put(blob_store, b"same bytes")
    assert first.key != second.key
    assert first.sha256 == second.sha256
    assert sorted(blob_store.keys()) == sorted([first.key, second.key])
    prefix_a, prefix_b, name = first.key.split("/")
    assert (len(prefix_a), len(prefix_b), len(name)) == (2, 2, 32)


def test_empty_blob(blob_store: AnyStore) -> None:
    with blob_store.writer(max_bytes=10) as writer:
        blob = writer.commit()
    assert (blob.size, blob.sha256) == (0, hashlib.sha256(b"").hexdigest())
    with blob_store.open(blob.key) as stream:
        assert stream.read() == b""


def test_size_and_head_while_writing(blob_store: AnyStore) -> None:
    data = bytes(range(256)) * 100  # 25,600 bytes, more than the head
    with blob_store.writer(max_bytes=len(data)) as writer:
        writer.write(data[:100])
        assert writer.size == 100
        assert writer.head() == data[:100]
        writer.write(data[100:])
        assert writer.size == len(data)
        assert writer.head() == data[:HEAD_BYTES]
        writer.commit()


def test_limit_is_inclusive(blob_store: AnyStore) -> None:
    with blob_store.writer(max_bytes=10) as writer:
        writer.write(b"0123456789")
        assert writer.commit().size == 10


def test_limit_exceeded_leaves_nothing(blob_store: AnyStore) -> None:
    with pytest.raises(PayloadTooLarge, match=r"MB"), blob_store.writer(max_bytes=2500) as writer:
        writer.write(b"x" * 1000)
        writer.write(b"x" * 1000)
        if isinstance(blob_store, LocalBlobStore):  # S3 buffers a part in memory first
            assert partial_writes(blob_store), "the partial blob should be on disk while writing"
        writer.write(b"x" * 1000)
    assert everything_stored(blob_store) == []
    assert list(blob_store.keys()) == []


def test_limit_message_states_megabytes(blob_store: AnyStore) -> None:
    with (
        pytest.raises(PayloadTooLarge) as caught,
        blob_store.writer(max_bytes=50 * 1024**2) as writer,
    ):
        writer.write(b"x" * (50 * 1024**2 + 1))
    assert "50 MB" in caught.value.message


def test_writer_unusable_after_limit(blob_store: AnyStore) -> None:
    with blob_store.writer(max_bytes=1) as writer:
        with pytest.raises(PayloadTooLarge):
            writer.write(b"xx")
        with pytest.raises(ValueError):
            writer.commit()


def test_exception_inside_with_leaves_nothing(blob_store: AnyStore) -> None:
    with pytest.raises(RuntimeError, match="boom"), blob_store.writer(max_bytes=10**6) as writer:
        writer.write(b"partial")
        raise RuntimeError("boom")
    assert everything_stored(blob_store) == []


def test_writer_without_commit_leaves_nothing(blob_store: AnyStore) -> None:
    with blob_store.writer(max_bytes=10**6) as writer:
        writer.write(b"never committed")
    assert everything_stored(blob_store) == []
    assert list(blob_store.keys()) == []


def test_unused_writer_creates_no_file(blob_store: AnyStore) -> None:
    blob_store.writer(max_bytes=10)
    assert everything_stored(blob_store) == []


def test_exception_after_commit_keeps_blob(blob_store: AnyStore) -> None:
    with pytest.raises(RuntimeError), blob_store.writer(max_bytes=10) as writer:
        writer.write(b"kept")
        blob = writer.commit()
        raise RuntimeError("after commit")
    assert blob_store.exists(blob.key)


def test_concurrent_writers(blob_store: AnyStore) -> None:
    payloads = [os.urandom(50_000 + i) for i in range(32)]
    results: dict[int, StoredBlob] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(payloads))

    def upload(i: int) -> None:
        try:
            start.wait()
            results[i] = put(blob_store, payloads[i], chunk=997)
        except BaseException as exc:  # reported by the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(blob_store.keys()) == sorted(blob.key for blob in results.values())
    for i, blob in results.items():
        assert blob.sha256 == hashlib.sha256(payloads[i]).hexdigest()
        with blob_store.open(blob.key) as stream:
            assert stream.read() == payloads[i]
    assert partial_writes(blob_store) == []


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../outside",
        "ab/../../outside",
        "ab/cd/..",
        "/etc/passwd",
        "ab//cd",
        "ab/cd/",
        "./ab",
        "ab\\cd",
        "a\x00b",
        "tmp/abc",
        ".hidden",
    ],
)
def test_bad_keys_rejected(blob_store: AnyStore, key: str) -> None:
    with pytest.raises(ValueError):
        blob_store.open(key)
    with pytest.raises(ValueError):
        blob_store.exists(key)
    with pytest.raises(ValueError):
        blob_store.delete(key)
    with pytest.raises(ValueError), blob_store.local_path(key):
        pass


def test_traversal_cannot_read_outside(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"secret")
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError):
        store.open("../secret")


def test_local_path_holds_the_bytes(blob_store: AnyStore) -> None:
    blob = put(blob_store, b"%PDF-1.7 not really")
    with blob_store.local_path(blob.key) as path:
        assert path.is_file()
        assert path.read_bytes() == b"%PDF-1.7 not really"
    assert blob_store.exists(blob.key)


def test_local_path_is_the_file(local_store: LocalBlobStore, root: Path) -> None:
    blob = put(local_store, b"%PDF-1.7 not really")
    with local_store.local_path(blob.key) as path:
        assert path.resolve().is_relative_to(root.resolve())


def test_missing_blob_is_not_found(blob_store: AnyStore) -> None:
    missing = "ab/cd/" + "0" * 32
    assert not blob_store.exists(missing)
    with pytest.raises(BlobNotFound) as caught:
        blob_store.open(missing)
    assert isinstance(caught.value, NotFound)
    with pytest.raises(BlobNotFound), blob_store.local_path(missing):
        pass


def test_keys_skip_writes_in_progress(blob_store: AnyStore) -> None:
    blob = put(blob_store, b"done")
    with blob_store.writer(max_bytes=100) as writer:
        writer.write(b"in progress")
        assert list(blob_store.keys()) == [blob.key]


def test_check_passes(blob_store: AnyStore) -> None:
    blob_store.check()
    assert everything_stored(blob_store) == [], "the probe is not left behind"


def test_check(local_store: LocalBlobStore, root: Path) -> None:
    local_store.check()
    (root / "tmp").rmdir()
    root.rmdir()
    with pytest.raises(BlobStoreUnavailable):
        local_store.check()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_check_read_only(local_store: LocalBlobStore, root: Path) -> None:
    (root / "tmp").chmod(0o500)
    try:
        with pytest.raises(BlobStoreUnavailable):
            local_store.check()
    finally:
        (root / "tmp").chmod(0o700)


def test_protocol_conformance(blob_store: AnyStore) -> None:
    as_protocol: BlobStore = blob_store  # checked by mypy
    assert as_protocol.exists("ab/cd/" + "1" * 32) is False
