"""The S3 blob store's own mechanics, on a real SeaweedFS; and a real server storing on it.

The contract shared with the local store is in ``test_blob_store.py``; here: multipart uploads
and their abandonment, prefixes, failures of the bucket itself, and ``etagere serve`` with
``ETAGERE_BLOB_STORE=s3`` driven through the official SDK.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx
import pytest
from boto3.session import Session
from botocore.config import Config

from etagere.core.errors import PayloadTooLarge
from etagere.runtime import build_blob_store
from etagere.settings import Settings
from etagere.storage.blobs import BlobNotFound, BlobStoreUnavailable, LocalBlobStore
from etagere.storage.blobs.s3 import MIN_PART_SIZE, S3BlobStore
from tests.conftest import ServerFactory, client_for
from tests.support.documents import upload, wait_settled
from tests.support.seaweedfs import S3Endpoint
from tests.support.servers import free_port

MIB = 1024 * 1024


@pytest.fixture
def s3_store(s3_endpoint: S3Endpoint, s3_bucket: str) -> S3BlobStore:
    return S3BlobStore(s3_endpoint.client(), s3_bucket, prefix="etagere/", part_size=MIN_PART_SIZE)


def pending_uploads(store: S3BlobStore) -> list[str]:
    listed = store.client.list_multipart_uploads(Bucket=store.bucket)
    return [upload["Key"] for upload in listed.get("Uploads", [])]


def objects_in(store: S3BlobStore) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_large_blob_goes_through_multipart(s3_store: S3BlobStore) -> None:
    data = os.urandom(2 * MIN_PART_SIZE + 123_457)  # two full parts and a short last one
    with s3_store.writer(max_bytes=len(data)) as writer:
        for start in range(0, len(data), MIB):
            writer.write(data[start : start + MIB])
            if writer.size > MIN_PART_SIZE:
                assert len(pending_uploads(s3_store)) == 1, "parts are uploaded while writing"
                assert list(s3_store.keys()) == [], "a pending upload is not a blob"
        assert writer.head() == data[:8192]
        blob = writer.commit()

    assert (blob.size, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert pending_uploads(s3_store) == []
    assert list(s3_store.keys()) == [blob.key]
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=f"etagere/{blob.key}")
    assert head["ContentLength"] == len(data)
    with s3_store.open(blob.key) as stream:
        assert stream.read(MIB) == data[:MIB], "read(n) streams, as the signed-URL route does"
        assert stream.read() == data[MIB:]
    with s3_store.open(blob.key) as stream:
        stream.read(10)  # closing early must not fail (a client that hangs up)
    with s3_store.local_path(blob.key) as path:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == blob.sha256
    assert not path.exists(), "the downloaded copy is removed after use"


def test_limit_exceeded_mid_multipart_aborts_the_upload(s3_store: S3BlobStore) -> None:
    limit = MIN_PART_SIZE + 2 * MIB
    with pytest.raises(PayloadTooLarge), s3_store.writer(max_bytes=limit) as writer:
        for _ in range(limit // MIB + 1):
            writer.write(os.urandom(MIB))
            if writer.size > MIN_PART_SIZE:
                assert pending_uploads(s3_store), "a part is stored before the limit is hit"
    assert pending_uploads(s3_store) == []
    assert objects_in(s3_store) == []


def test_exception_mid_multipart_aborts_the_upload(s3_store: S3BlobStore) -> None:
    with (
        pytest.raises(RuntimeError, match="client went away"),
        s3_store.writer(max_bytes=100 * MIB) as writer,
    ):
        writer.write(os.urandom(MIN_PART_SIZE + 1))
        raise RuntimeError("client went away")
    assert pending_uploads(s3_store) == []
    assert objects_in(s3_store) == []


def test_purge_abandoned_writes_aborts_stale_uploads_under_its_prefix(
    s3_endpoint: S3Endpoint, s3_store: S3BlobStore
) -> None:
    other = S3BlobStore(s3_endpoint.client(), s3_store.bucket, prefix="other/")
    crashed = s3_store.writer(max_bytes=100 * MIB)
    crashed.write(os.urandom(MIN_PART_SIZE))  # one part stored, never completed nor aborted
    other.client.create_multipart_upload(Bucket=other.bucket, Key="other/ab/cd/" + "e" * 32)
    assert len(pending_uploads(s3_store)) == 2

    assert s3_store.purge_abandoned_writes(older_than=time.time() - 3600) == 0, "too recent"
    assert s3_store.purge_abandoned_writes(older_than=time.time() + 60) == 1
    assert pending_uploads(s3_store) == ["other/ab/cd/" + "e" * 32], "other prefixes untouched"
    assert objects_in(s3_store) == []


def test_keys_older_than(s3_store: S3BlobStore) -> None:
    with s3_store.writer(max_bytes=10) as writer:
        writer.write(b"old enough")
        blob = writer.commit()
    assert list(s3_store.keys(older_than=time.time() - 3600)) == []
    assert list(s3_store.keys(older_than=time.time() + 60)) == [blob.key]


def test_prefixes_isolate_stores_sharing_a_bucket(s3_endpoint: S3Endpoint, s3_bucket: str) -> None:
    client = s3_endpoint.client()
    tenant = S3BlobStore(client, s3_bucket, prefix="tenant")
    neighbour = S3BlobStore(client, s3_bucket, prefix="tenant-2/")
    assert (tenant.prefix, neighbour.prefix) == ("tenant/", "tenant-2/")
    mine, theirs = (_put(store, b"same bytes") for store in (tenant, neighbour))
    client.put_object(Bucket=s3_bucket, Key="tenant/notes.txt", Body=b"not a blob")

    assert list(tenant.keys()) == [mine] and list(neighbour.keys()) == [theirs]
    assert not tenant.exists(theirs)
    with pytest.raises(BlobNotFound):
        tenant.open(theirs)
    tenant.delete(theirs)
    assert neighbour.exists(theirs)
    whole_bucket = S3BlobStore(client, s3_bucket, prefix="")
    assert list(whole_bucket.keys()) == [], "only keys of the store's own shape are listed"


def test_check_fails_on_wrong_secret_and_missing_bucket(
    s3_endpoint: S3Endpoint, s3_store: S3BlobStore
) -> None:
    s3_store.check()
    wrong_secret = S3BlobStore(s3_endpoint.client(secret_key="not-the-secret"), s3_store.bucket)
    with pytest.raises(BlobStoreUnavailable, match="SignatureDoesNotMatch"):
        wrong_secret.check()
    missing = S3BlobStore(s3_endpoint.client(), "etagere-no-such-bucket")
    with pytest.raises(BlobStoreUnavailable, match="NoSuchBucket"):
        missing.check()
    with pytest.raises(BlobStoreUnavailable):
        missing.open("ab/cd/" + "0" * 32)  # a missing bucket is not a missing blob


def test_unreachable_endpoint_is_unavailable() -> None:
    # One attempt: the real client's retries would only make this test slow.
    client = Session().client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        aws_access_key_id="key",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    store = S3BlobStore(client, "bucket")
    with pytest.raises(BlobStoreUnavailable, match="unreachable"):
        store.check()
    with pytest.raises(BlobStoreUnavailable), store.writer(max_bytes=10) as writer:
        writer.write(b"x")
        writer.commit()


def test_build_blob_store(tmp_path: Path) -> None:
    assert isinstance(build_blob_store(Settings(data_dir=tmp_path)), LocalBlobStore)
    with pytest.raises(ValueError, match="ETAGERE_S3_BUCKET"):
        build_blob_store(Settings(data_dir=tmp_path, blob_store="s3"))
    store = build_blob_store(
        Settings(
            data_dir=tmp_path,
            blob_store="s3",
            s3_bucket="files",
            s3_prefix="/team/etagere",
            s3_endpoint_url="http://127.0.0.1:9",
        )
    )
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("files", "team/etagere/")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_server_keeps_files_in_the_bucket(
    s3_endpoint: S3Endpoint, s3_bucket: str, start_server: ServerFactory, samples: Path
) -> None:
    # s3_bucket is set up before start_server, so the server stops before the bucket goes.
    server = start_server(
        blob_store="s3",
        s3_endpoint_url=s3_endpoint.url,
        s3_bucket=s3_bucket,
        s3_prefix="served/",
        s3_access_key_id=s3_endpoint.access_key,
        s3_secret_access_key=s3_endpoint.secret_key,
    )
    bucket = S3BlobStore(s3_endpoint.client(), s3_bucket, prefix="served/")
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="on s3")
    source = samples / "crazy_ones.pdf"

    created = upload(sdk, library.id, source)
    done = wait_settled(sdk, library.id, created.id)
    assert done.process_status == "done", done.process_status
    text = sdk.beta.libraries.documents.text_content(library_id=library.id, document_id=done.id)
    assert "crazy" in text.text.lower()
    (key,) = bucket.keys()
    assert hashlib.sha256(source.read_bytes()).hexdigest() == created.hash
    assert not (server.store.data_dir / "blobs").exists() or not any(
        p.is_file() for p in (server.store.data_dir / "blobs").rglob("*")
    ), "nothing is stored on the local disk"
    with server.http() as http:
        ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["blob_store"] == "ok"

    url = sdk.beta.libraries.documents.get_signed_url(library_id=library.id, document_id=done.id)
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == source.read_bytes()

    sdk.beta.libraries.documents.delete(library_id=library.id, document_id=done.id)
    assert not bucket.exists(key)
    assert list(bucket.keys()) == []


def _put(store: S3BlobStore, data: bytes) -> str:
    with store.writer(max_bytes=len(data)) as writer:
        writer.write(data)
        return writer.commit().key
