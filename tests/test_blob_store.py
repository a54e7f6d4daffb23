"""The local blob store, on real directories: round trips, limits, abandonment, concurrency."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from etagere.domain.errors import NotFound, PayloadTooLarge
from etagere.storage.blobs import (
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    LocalBlobStore,
    StoredBlob,
)
from etagere.storage.blobs.store import HEAD_BYTES


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def store(root: Path) -> LocalBlobStore:
    return LocalBlobStore(root)


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def put(store: BlobStore, data: bytes, chunk: int = 1000) -> StoredBlob:
    with store.writer(max_bytes=len(data) + 1) as writer:
        for i in range(0, len(data), chunk):
            writer.write(data[i : i + chunk])
        return writer.commit()


def test_round_trip(store: LocalBlobStore, root: Path) -> None:
    data = os.urandom(300_000)
    blob = put(store, data, chunk=7919)

    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert store.exists(blob.key)
    with store.open(blob.key) as stream:
        assert stream.read() == data
    assert list(store.keys()) == [blob.key]
    assert files_under(root / "tmp") == []

    store.delete(blob.key)
    assert not store.exists(blob.key)
    assert list(store.keys()) == []
    store.delete(blob.key)  # idempotent
    with pytest.raises(BlobNotFound):
        store.open(blob.key)


def test_keys_are_opaque_and_fresh(store: LocalBlobStore) -> None:
    first, second = put(store, b"same bytes"), put(store, b"same bytes")
    assert first.key != second.key
    assert first.sha256 == second.sha256
    assert sorted(store.keys()) == sorted([first.key, second.key])
    prefix_a, prefix_b, name = first.key.split("/")
    assert (len(prefix_a), len(prefix_b), len(name)) == (2, 2, 32)


def test_empty_blob(store: LocalBlobStore) -> None:
    with store.writer(max_bytes=10) as writer:
        blob = writer.commit()
    assert (blob.size, blob.sha256) == (0, hashlib.sha256(b"").hexdigest())
    with store.open(blob.key) as stream:
        assert stream.read() == b""


def test_size_and_head_while_writing(store: LocalBlobStore) -> None:
    data = bytes(range(256)) * 100  # 25,600 bytes, more than the head
    with store.writer(max_bytes=len(data)) as writer:
        writer.write(data[:100])
        assert writer.size == 100
        assert writer.head() == data[:100]
        writer.write(data[100:])
        assert writer.size == len(data)
        assert writer.head() == data[:HEAD_BYTES]
        writer.commit()


def test_limit_is_inclusive(store: LocalBlobStore) -> None:
    with store.writer(max_bytes=10) as writer:
        writer.write(b"0123456789")
        assert writer.commit().size == 10


def test_limit_exceeded_leaves_nothing(store: LocalBlobStore, root: Path) -> None:
    with pytest.raises(PayloadTooLarge, match=r"MB"), store.writer(max_bytes=2500) as writer:
        writer.write(b"x" * 1000)
        writer.write(b"x" * 1000)
        assert files_under(root / "tmp"), "the partial blob should be on disk while writing"
        writer.write(b"x" * 1000)
    assert files_under(root) == []
    assert list(store.keys()) == []


def test_limit_message_states_megabytes(store: LocalBlobStore) -> None:
    with pytest.raises(PayloadTooLarge) as caught, store.writer(max_bytes=50 * 1024**2) as writer:
        writer.write(b"x" * (50 * 1024**2 + 1))
    assert "50 MB" in caught.value.message


def test_writer_unusable_after_limit(store: LocalBlobStore) -> None:
    with store.writer(max_bytes=1) as writer:
        with pytest.raises(PayloadTooLarge):
            writer.write(b"xx")
        with pytest.raises(ValueError):
            writer.commit()


def test_exception_inside_with_leaves_nothing(store: LocalBlobStore, root: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.writer(max_bytes=10**6) as writer:
        writer.write(b"partial")
        raise RuntimeError("boom")
    assert files_under(root) == []


def test_writer_without_commit_leaves_nothing(store: LocalBlobStore, root: Path) -> None:
    with store.writer(max_bytes=10**6) as writer:
        writer.write(b"never committed")
    assert files_under(root) == []
    assert list(store.keys()) == []


def test_unused_writer_creates_no_file(store: LocalBlobStore, root: Path) -> None:
    store.writer(max_bytes=10)
    assert files_under(root) == []


def test_exception_after_commit_keeps_blob(store: LocalBlobStore) -> None:
    with pytest.raises(RuntimeError), store.writer(max_bytes=10) as writer:
        writer.write(b"kept")
        blob = writer.commit()
        raise RuntimeError("after commit")
    assert store.exists(blob.key)


def test_concurrent_writers(store: LocalBlobStore, root: Path) -> None:
    payloads = [os.urandom(50_000 + i) for i in range(32)]
    results: dict[int, StoredBlob] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(payloads))

    def upload(i: int) -> None:
        try:
            start.wait()
            results[i] = put(store, payloads[i], chunk=997)
        except BaseException as exc:  # reported by the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(store.keys()) == sorted(blob.key for blob in results.values())
    for i, blob in results.items():
        assert blob.sha256 == hashlib.sha256(payloads[i]).hexdigest()
        with store.open(blob.key) as stream:
            assert stream.read() == payloads[i]
    assert files_under(root / "tmp") == []


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
def test_bad_keys_rejected(store: LocalBlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        store.open(key)
    with pytest.raises(ValueError):
        store.exists(key)
    with pytest.raises(ValueError):
        store.delete(key)
    with pytest.raises(ValueError), store.local_path(key):
        pass


def test_traversal_cannot_read_outside(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"secret")
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError):
        store.open("../secret")


def test_local_path_is_the_file(store: LocalBlobStore, root: Path) -> None:
    blob = put(store, b"%PDF-1.7 not really")
    with store.local_path(blob.key) as path:
        assert path.is_file()
        assert path.read_bytes() == b"%PDF-1.7 not really"
        assert path.resolve().is_relative_to(root.resolve())


def test_missing_blob_is_not_found(store: LocalBlobStore) -> None:
    missing = "ab/cd/" + "0" * 32
    assert not store.exists(missing)
    with pytest.raises(BlobNotFound) as caught:
        store.open(missing)
    assert isinstance(caught.value, NotFound)
    with pytest.raises(BlobNotFound), store.local_path(missing):
        pass


def test_keys_skip_writes_in_progress(store: LocalBlobStore) -> None:
    blob = put(store, b"done")
    with store.writer(max_bytes=100) as writer:
        writer.write(b"in progress")
        assert list(store.keys()) == [blob.key]


def test_check(store: LocalBlobStore, root: Path) -> None:
    store.check()
    (root / "tmp").rmdir()
    root.rmdir()
    with pytest.raises(BlobStoreUnavailable):
        store.check()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_check_read_only(store: LocalBlobStore, root: Path) -> None:
    (root / "tmp").chmod(0o500)
    try:
        with pytest.raises(BlobStoreUnavailable):
            store.check()
    finally:
        (root / "tmp").chmod(0o700)


def test_protocol_conformance(store: LocalBlobStore) -> None:
    as_protocol: BlobStore = store  # checked by mypy
    assert as_protocol.exists("ab/cd/" + "1" * 32) is False
