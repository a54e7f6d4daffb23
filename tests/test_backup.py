"""``etagere backup`` / ``etagere restore`` of the embedded store, taken while it serves.

The main test is the issue's: a real server under upload and delete load is backed up through
the CLI, restored into a new data directory and served again, and must answer with the same
documents, files and search hits. The deletion race is then forced deterministically
in-process, and the refusals are checked through the CLI.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral, models

from etagere.core.errors import NotFound
from etagere.core.model import Caller, Document
from etagere.runtime import Runtime
from etagere.settings import Settings
from etagere.storage import backup as engine
from tests.conftest import client_for
from tests.support.documents import upload_bytes, wait_settled
from tests.support.servers import EtagereServer, StoreLocation, run_cli

TOPICS = [
    "tidal power stations on rocky coasts",
    "sourdough starters and wild yeast",
    "medieval bell founding techniques",
    "the migration of arctic terns",
    "compilers for tiny microcontrollers",
    "restoring oak furniture with shellac",
    "volcanic soils and vineyard terraces",
    "chess endgames with rooks and pawns",
    "glacier retreat in the Alps",
    "beekeeping through a cold winter",
    "early printing presses in Venice",
    "the chemistry of indigo dye",
    "lighthouse keepers and their logs",
    "orbital mechanics of comet tails",
    "folding kayaks for long expeditions",
    "mushroom foraging in beech forests",
    "clockwork automata of the 1700s",
    "salt marsh birds and their nests",
    "jazz harmony and tritone substitution",
    "desert irrigation with qanat tunnels",
]
MAX_LOAD_UPLOADS = 60  # keeps every document within one search's top_k (100)


def note(index: int) -> bytes:
    """A small Markdown note with a word no other document contains."""
    topic = TOPICS[index]
    return (
        f"# Note {index}: {topic}\n\n"
        f"This note is about {topic}. Its marker word is marker{index:02d}x, found nowhere else.\n"
        f"People who study {topic} keep careful records and compare them year after year.\n"
    ).encode()


class Load(threading.Thread):
    """Uploads documents (and deletes some of them) until stopped: the live write load."""

    def __init__(self, client: Mistral, library_id: str) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.library_id = library_id
        self.contents: dict[str, bytes] = {}
        self.deleted: set[str] = set()
        self.operations = 0
        self.error: BaseException | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            for n in range(MAX_LOAD_UPLOADS):
                if self.halt.wait(0.05):
                    return
                data = f"# Load {n}\n\nShipping manifest line {n}: crates of {n * 7} bolts.\n"
                doc = upload_bytes(self.client, self.library_id, f"load-{n}.md", data.encode())
                self.contents[doc.id] = data.encode()
                if n % 3 == 2:  # delete the one uploaded two steps ago
                    victim = list(self.contents)[-3]
                    self.client.beta.libraries.documents.delete(
                        library_id=self.library_id, document_id=victim
                    )
                    self.deleted.add(victim)
                self.operations += 1
        except BaseException as exc:  # re-raised by stop() in the test's thread
            self.error = exc

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=60)
        if self.error is not None:
            raise self.error


def all_documents(client: Mistral, library_id: str) -> dict[str, models.Document]:
    listing = client.beta.libraries.documents.list(library_id=library_id, page_size=100)
    assert listing.pagination.total_items <= 100
    return {d.id: d for d in listing.data}


def settle(client: Mistral, library_id: str) -> dict[str, models.Document]:
    return {
        doc_id: wait_settled(client, library_id, doc_id)
        for doc_id in all_documents(client, library_id)
    }


def search(server: EtagereServer, library_id: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    with server.http() as http:
        response = http.post(f"/v1/libraries/{library_id}/search", json=body)
    assert response.status_code == 200, response.text
    return [(h["chunk"]["source_id"], h["chunk"]["content"]) for h in response.json()["hits"]]


def download(server: EtagereServer, client: Mistral, library_id: str, document_id: str) -> bytes:
    url = client.beta.libraries.documents.get_signed_url(
        library_id=library_id, document_id=document_id
    )
    response = httpx.get(url if url.startswith("http") else server.url + url, timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def test_backup_under_write_load_restores_documents_files_and_search(tmp_path: Path) -> None:
    source = EtagereServer(store=StoreLocation(data_dir=tmp_path / "data"))
    source.start(extra_env={"ETAGERE_WORKERS": "2"})
    restored: EtagereServer | None = None
    try:
        sdk = client_for(source, source.api_key)
        library_id = sdk.beta.libraries.create(name="backed up").id
        contents = {
            upload_bytes(sdk, library_id, f"note-{i:02d}.md", note(i)).id: note(i)
            for i in range(len(TOPICS))
        }
        settle(sdk, library_id)
        load = Load(client_for(source, source.api_key), library_id)
        load.start()
        while load.operations < 3 and load.is_alive():
            time.sleep(0.05)
        done_before = {
            d.id: (
                d,
                sdk.beta.libraries.documents.text_content(
                    library_id=library_id, document_id=d.id
                ).text,
            )
            for d in all_documents(sdk, library_id).values()
            if d.process_status == "done"
        }
        assert set(contents) <= set(done_before)
        operations_before = load.operations
        result = run_cli(source.store, "backup", str(tmp_path / "backup"), "--json")
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert load.operations > operations_before, "the load must run during the backup"
        time.sleep(0.5)  # some more load after the backup
        load.stop()
        contents.update(load.contents)
        after_load = settle(sdk, library_id)

        new = StoreLocation(data_dir=tmp_path / "restored")
        run_cli(new, "restore", str(tmp_path / "backup"))
        assert not (new.data_dir / "initial-api-key").exists()
        restored = EtagereServer(store=new, api_key=source.api_key)
        restored.start(extra_env={"ETAGERE_WORKERS": "2"})
        sdk2 = client_for(restored, restored.api_key)  # the old key works: keys are in the DB
        in_backup = settle(sdk2, library_id)
        assert len(in_backup) == summary["documents"]

        for doc_id, (before, text) in done_before.items():
            if doc_id in load.deleted:
                continue
            got = in_backup[doc_id]
            assert (got.name, got.size, got.hash) == (before.name, before.size, before.hash)
            assert got.process_status == "done"
            again = sdk2.beta.libraries.documents.text_content(
                library_id=library_id, document_id=doc_id
            )
            assert again.text == text
        for doc_id, doc in in_backup.items():
            data = download(restored, sdk2, library_id, doc_id)
            assert data == contents[doc_id] and hashlib.sha256(data).hexdigest() == doc.hash

        both = set(after_load) & set(in_backup)
        assert set(contents) - set(load.contents) <= both

        def hits(server: EtagereServer, body: dict[str, Any]) -> list[tuple[str, str]]:
            return [hit for hit in search(server, library_id, body) if hit[0] in both]

        queries: list[dict[str, Any]] = [
            {"retriever": {"type": "keyword", "query": f"marker{i:02d}x", "top_k": 5}}
            for i in (0, 7, 13, 19)
        ]
        queries += [
            {"retriever": {"type": "nearest_neighbour", "query": q, "top_k": 100}}
            for q in ("birds near the sea", "old machines and craft", "shipping crates")
        ]
        for body in queries:
            expected = hits(source, body)
            assert expected, body
            assert hits(restored, body) == expected, body
        hybrid = {"query": "marker02x bells cast in bronze", "top_k": 5}
        assert hits(restored, hybrid)[0] == hits(source, hybrid)[0]
    finally:
        source.stop()
        if restored is not None:
            restored.stop()


# --- in-process: the deletion race, forced -------------------------------------------------


@dataclass
class LocalStore:
    """An embedded store driven in-process through the domain services (no server)."""

    runtime: Runtime
    caller: Caller
    library_id: uuid.UUID

    def upload(self, name: str, data: bytes) -> Document:
        svc = self.runtime.services
        with svc.blobs.writer(len(data) + 1) as writer:
            writer.write(data)
            blob = writer.commit()
        return svc.documents.register_upload(self.caller, self.library_id, blob, name)[0]

    def delete(self, document: Document) -> None:
        self.runtime.services.documents.delete(self.caller, self.library_id, document.id)

    def blob_path(self, document: Document) -> Path:
        return self.runtime.services.settings.data_dir / "blobs" / document.blob_key


API_KEY = "etg_backup_test_" + "k" * 24


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[LocalStore]:
    runtime = Runtime.open(Settings(data_dir=tmp_path / "data"))
    identity = runtime.services.identity
    identity.bootstrap(API_KEY)
    caller = identity.authenticate(API_KEY)
    library = runtime.services.libraries.create(caller, "local").library
    yield LocalStore(runtime, caller, library.id)
    runtime.stop()


@pytest.mark.parametrize("mode", ["hard links", "copies"])
def test_deletes_racing_the_backup_leave_a_whole_snapshot(
    local_store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Uploads and deletes land between every step of the backup; the snapshot stays whole.

    ``docs[0]`` goes before the snapshot (so it is not in the backup); ``docs[1]`` (pinned by
    a lock-free pass) and the last upload (pinned only behind the fence) go right after it,
    their files unlinked before the backup could copy them, yet both restore whole.
    """
    docs = [local_store.upload(f"d{i}.md", note(i)) for i in range(6)]
    if mode == "copies":  # as when the backup is on another filesystem

        def no_link(*_: object) -> None:
            raise OSError(errno.EXDEV, "Invalid cross-device link")

        monkeypatch.setattr(os, "link", no_link)

    real_pin, real_copy = engine._Pins.pin, engine._copy_snapshot
    passes: list[bool] = []

    def pin(self: engine._Pins, records: Any, *, required: bool) -> int:
        added = real_pin(self, records, required=required)
        if not passes:
            local_store.delete(docs[0])
        if not required:  # an upload after every lock-free pass
            docs.append(local_store.upload(f"late{len(docs)}.md", note(len(docs))))
        passes.append(required)
        return added

    def copy(source: Any, target: Path) -> None:
        for gone in (docs[1], docs[-1]):  # the server unlinks their files at once
            local_store.delete(gone)
            assert not local_store.blob_path(gone).exists()
        real_copy(source, target)

    monkeypatch.setattr(engine._Pins, "pin", pin)
    monkeypatch.setattr(engine, "_copy_snapshot", copy)
    progress: list[tuple[int, int]] = []
    manifest = engine.backup(
        tmp_path / "data", tmp_path / "backup", progress=lambda d, t: progress.append((d, t))
    )

    kept = docs[1:]
    assert passes == [False] * engine.PIN_PASSES + [True]
    assert progress[0] == (0, len(kept)) and progress[-1] == (len(kept), len(kept))
    assert (manifest.documents, manifest.blobs, manifest.libraries) == (len(kept),) * 2 + (1,)
    assert manifest.blob_bytes == sum(d.size for d in kept)
    backed_up = sorted(p.name for p in (tmp_path / "backup" / "blobs").rglob("*") if p.is_file())
    assert backed_up == sorted(Path(d.blob_key).name for d in kept), "pins of docs[0] dropped"
    survivor = (tmp_path / "backup" / "blobs" / docs[2].blob_key).stat()
    shares_inode = survivor.st_ino == local_store.blob_path(docs[2]).stat().st_ino
    assert shares_inode is (mode == "hard links")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    engine.restore(tmp_path / "backup", tmp_path / "restored")
    runtime = Runtime.open(Settings(data_dir=tmp_path / "restored"))
    try:
        svc = runtime.services
        caller = svc.identity.authenticate(API_KEY)  # keys are in the database
        for doc in kept:
            assert svc.documents.get(caller, local_store.library_id, doc.id).hash == doc.hash
            with svc.blobs.open(doc.blob_key) as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == doc.hash
        with pytest.raises(NotFound):
            svc.documents.get(caller, local_store.library_id, docs[0].id)
    finally:
        runtime.stop()


# --- refusals --------------------------------------------------------------------------------


def test_restore_and_backup_refuse_what_they_cannot_do_safely(
    local_store: LocalStore, tmp_path: Path
) -> None:
    docs = [local_store.upload(f"d{i}.md", note(i)) for i in range(3)]
    data = StoreLocation(data_dir=tmp_path / "data")
    good = tmp_path / "backup"
    engine.backup(data.data_dir, good)

    def refused(store: StoreLocation, *args: str) -> dict[str, Any]:
        result = run_cli(store, *args, "--json", check=False)
        assert result.returncode == 1, result.stdout + result.stderr
        answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return answer

    occupied = refused(data, "restore", str(good))
    assert occupied["error"] == "database_exists" and "--force" in occupied["detail"]

    tampered = tmp_path / "tampered"
    shutil.copytree(good, tampered)
    victim = tampered / "blobs" / docs[1].blob_key
    victim.write_bytes(victim.read_bytes().replace(b"marker01x", b"marker99x"))
    fresh = StoreLocation(data_dir=tmp_path / "fresh")
    damaged = refused(fresh, "restore", str(tampered))
    assert damaged["error"] == "corrupt_backup"
    assert str(docs[1].id) in damaged["detail"] and "damaged" in damaged["detail"]
    assert not (fresh.data_dir / "etagere.db").exists()
    assert not [p for p in (fresh.data_dir / "blobs").rglob("*") if p.is_file()]

    partial = tmp_path / "partial"
    shutil.copytree(good, partial)
    (partial / "manifest.json").unlink()
    incomplete = refused(fresh, "restore", str(partial))
    assert incomplete["error"] == "incomplete_backup" and "manifest.json" in incomplete["detail"]

    postgres = StoreLocation(tmp_path / "pg", database_url="postgresql://etagere@127.0.0.1/x")
    server_mode = refused(postgres, "backup", str(tmp_path / "pg-backup"))
    assert server_mode["error"] == "server_mode" and "pg_dump" in server_mode["detail"]
    assert refused(data, "backup", str(good))["error"] == "target_not_empty"

    result = run_cli(fresh, "restore", str(good), "--json")
    assert json.loads(result.stdout.strip().splitlines()[-1])["documents"] == 3
