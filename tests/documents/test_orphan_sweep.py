"""Files no document references (a crash between writing and committing) are swept."""

from __future__ import annotations

from pathlib import Path

from etagere.core.model import Caller
from etagere.domain.documents import DocumentService
from etagere.domain.libraries import LibraryService
from etagere.domain.signing import UrlSigner
from etagere.search.index.backend import SearchBackend
from etagere.storage.blobs import LocalBlobStore
from etagere.storage.metadata import Database


def write_blob(blobs: LocalBlobStore, data: bytes) -> str:
    with blobs.writer(max_bytes=1_000_000) as writer:
        writer.write(data)
        return writer.commit().key


def test_unreferenced_and_abandoned_files_go_referenced_stay(
    db: Database,
    tmp_path: Path,
    caller: Caller,
    library_service: LibraryService,
    search_backend: SearchBackend,
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    documents = DocumentService(db, blobs, UrlSigner(b"k"), search_backend)
    library = library_service.create(caller, "lib").library

    kept_key = write_blob(blobs, b"referenced text")
    with blobs.writer(max_bytes=100) as writer:
        writer.write(b"referenced text")
        blob = writer.commit()
    document, created = documents.register_upload(caller, library.id, blob, "kept.txt")
    assert created
    blobs.delete(kept_key)  # the first copy was never registered
    orphan = write_blob(blobs, b"nobody knows me")
    partial = tmp_path / "blobs" / "tmp" / "crashed-upload"
    partial.write_bytes(b"half")

    assert documents.sweep_orphans(grace_seconds=3600) == 0, "young files are left alone"
    assert blobs.exists(orphan) and partial.exists()
    assert documents.sweep_orphans(grace_seconds=-1) == 1
    assert not blobs.exists(orphan) and not partial.exists()
    assert blobs.exists(document.blob_key)
