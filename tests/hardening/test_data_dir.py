"""The data directory is private to etagere's account, and a crash's leftovers go at start."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from tests.support.servers import EtagereServer, StoreLocation, run_cli

HARNESS_FILES = {"server.log"}  # written by the test harness, not by etagere


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _shared_entries(root: Path) -> list[str]:
    """Entries under ``root`` that another account could read or enter."""
    found = []
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            if name not in HARNESS_FILES and _mode(path) & 0o077:
                found.append(f"{oct(_mode(path))} {path.relative_to(root)}")
    return found


def test_a_new_data_directory_is_owner_only(tmp_path: Path) -> None:
    store = StoreLocation(tmp_path / "fresh")
    run_cli(store, "admin", "create-org", "acme")
    assert _mode(store.data_dir) == 0o700
    assert _mode(store.data_dir / "etagere.db") == 0o600
    assert _shared_entries(store.data_dir) == []


def test_everything_the_server_writes_is_owner_only(tmp_path: Path) -> None:
    server = EtagereServer(store=StoreLocation(tmp_path / "data"))
    # A directory readable by others (as a harness or a careless mkdir leaves it, whatever this
    # test process's umask is): the server fixes it, and says so.
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data").chmod(0o755)
    server.start()
    try:
        with server.http() as h:
            library = h.post("/v1/libraries", json={"name": "private"}).json()["id"]
            files = {"file": ("secret.txt", b"nobody else may read this", "text/plain")}
            assert h.post(f"/v1/libraries/{library}/documents", files=files).status_code == 201
    finally:
        server.stop()
    data_dir = server.store.data_dir
    assert _mode(data_dir) == 0o700
    assert any((data_dir / "blobs").rglob("*")), "the upload is on disk"
    assert _shared_entries(data_dir) == []
    assert "made it owner-only" in server.log_path.read_text()


def test_loose_modes_are_fixed_at_start_with_a_warning(tmp_path: Path) -> None:
    store = StoreLocation(tmp_path / "old")
    run_cli(store, "admin", "create-org", "acme")
    # As an older version (umask 022) left it: everything readable by every account.
    for path in [store.data_dir, *store.data_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (store.data_dir / "blobs" / "ab").mkdir(parents=True)
    (store.data_dir / "blobs" / "ab" / "doc").write_bytes(b"x")
    (store.data_dir / "blobs" / "ab" / "doc").chmod(0o644)
    assert _shared_entries(store.data_dir)
    result = run_cli(store, "admin", "create-org", "other")
    assert "readable by other accounts" in result.stderr
    assert _mode(store.data_dir) == 0o700
    assert _mode(store.data_dir / "blobs" / "ab" / "doc") == 0o600
    assert _shared_entries(store.data_dir) == []
    again = run_cli(store, "admin", "create-org", "third")
    assert "readable by other accounts" not in again.stderr, "warned once, when it was fixed"


def test_partial_uploads_left_by_a_crash_are_cleared_at_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    tmp = data_dir / "blobs" / "tmp"
    tmp.mkdir(parents=True)
    stale, fresh = tmp / "crashed-upload", tmp / "upload-in-progress"
    stale.write_bytes(b"x" * 4096)
    fresh.write_bytes(b"y" * 4096)
    ten_minutes_ago = time.time() - 600
    os.utime(stale, (ten_minutes_ago, ten_minutes_ago))
    server = EtagereServer(store=StoreLocation(data_dir)).start()
    try:
        assert not stale.exists(), "a partial write quiet for minutes is gone at start"
        assert fresh.exists(), "a write still in progress (another process's) is kept"
    finally:
        server.stop()
