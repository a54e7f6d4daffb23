"""Back up and restore the embedded store (SQLite + ``DATA_DIR/blobs``) while it is serving.

A backup directory holds ``etagere.db`` (a consistent snapshot), ``blobs/<key>`` (every file
the snapshot references, and no other) and ``manifest.json``, written last: a directory
without a manifest is an interrupted backup and ``restore`` refuses it.

**Search indexes are not copied.** In embedded mode tantivy and usearch live in memory and are
rebuilt at start from the chunks and embeddings stored in the database (see
``search/index/embedded.py``: there are no index files), so the snapshot carries them.

**The snapshot** comes from SQLite's online backup API, read through one connection that holds
a read transaction for the whole copy. In WAL mode a reader never blocks writers, and because
the transaction pins one version of the database the stepped copy is never restarted by
concurrent commits (a backup without it restarts after every write and may never finish under
load). The WAL grows meanwhile, as checkpoints cannot pass an open reader.

**The deletion race.** A document deleted after the snapshot still has its row in the backup,
and the server removes its file right after the delete commits, possibly before the backup has
copied it. Copying files first is no cure (uploads made meanwhile would be missing). Instead
every referenced file is *pinned*, hard-linked (or, across filesystems, copied) into the
backup, and the snapshot is taken behind a fence:

1. Pin every file the live database references, a few passes without any lock, so that the
   last pass finds little left to do.
2. Fence: take the database's write lock (``BEGIN IMMEDIATE``), open the snapshot's read
   transaction, pin the files it references that are not pinned yet, release the lock.
   Every deletion path (document, library, expiry) unlinks files only *after* its transaction
   commits, so while the fence stands no referenced file can disappear; a deletion committed
   before it is not in the snapshot; one committed after finds the file already pinned, and a
   hard link keeps the bytes alive after the store unlinks its own name. Writers wait only
   for the fenced pinning (milliseconds), never for the copy.
3. Copy the snapshot without the lock, drop the pins it does not reference, check every
   file's size and sha256 against the database, write the manifest, rename into place.

A referenced file missing under the fence cannot come from a delete; the backup then fails
loudly rather than write a backup that would restore a document without its bytes.

Backups made with hard links share the blob files' inodes with the live store: blobs are
immutable, so this costs no space and changes nothing, but it is one copy on one disk. A
restore always copies. API keys are stored hashed in the database, so they keep working after
a restore; ``initial-api-key`` is a convenience file and is not part of a backup.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import etagere
from etagere.storage.blobs.local import TMP_DIR, fsync_directory, validate_key
from etagere.storage.metadata.database import SQLITE_BUSY_TIMEOUT_MS, normalise_url

Progress = Callable[[int, int], None]

FORMAT = "etagere-backup"
FORMAT_VERSION = 1
DB_NAME = "etagere.db"
BLOB_DIR = "blobs"
MANIFEST = "manifest.json"

# Pages per backup step (4 MiB at SQLite's default page size): short calls, and Ctrl-C works.
STEP_PAGES = 1024
# Lock-free pinning passes before the fence; each pass only pins what arrived during the last.
PIN_PASSES = 3
HASH_CHUNK = 1024 * 1024

SERVER_MODE_PROCEDURE = (
    "back up server mode with pg_dump (PostgreSQL) and a copy of the bucket "
    "(aws s3 sync or rclone), and restore with pg_restore and the reverse copy; "
    "`etagere backup` and `etagere restore` handle the embedded SQLite store only"
)


class BackupError(Exception):
    """A backup or restore that cannot go on; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Manifest:
    """What a complete backup holds; written last, checked first."""

    etagere_version: str
    created_at: str
    schema_revision: str | None
    libraries: int
    documents: int
    blobs: int
    blob_bytes: int
    database_bytes: int
    database_sha256: str
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        """Parse a manifest; ``BackupError`` unless it is one this version can restore."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("invalid_backup", f"{MANIFEST} is not an etagere backup manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                "invalid_backup",
                f"backup format version {data.get('format_version')} is not supported "
                f"(this etagere reads version {FORMAT_VERSION})",
            )
        if set(data) != {f.name for f in fields(cls)}:
            raise BackupError("invalid_backup", f"{MANIFEST} lacks fields or has unknown ones")
        return cls(**data)


@dataclass(frozen=True)
class BlobRecord:
    """A file the database references, with what was measured when it was uploaded."""

    key: str
    size: int
    sha256: str
    document_id: str


def check_embedded(database_url: str | None, blob_store: str = "local") -> None:
    """Raise ``BackupError`` (with the server-mode procedure) unless the store is embedded."""
    url = normalise_url(database_url) if database_url else "sqlite://"
    if not url.startswith("sqlite") or blob_store != "local":
        raise BackupError(
            "server_mode", f"this etagere runs in server mode: {SERVER_MODE_PROCEDURE}"
        )


def database_path(data_dir: Path, database_url: str | None = None) -> Path:
    """The SQLite file of the embedded store (``DATA_DIR/etagere.db`` unless a URL names one)."""
    check_embedded(database_url)
    if not database_url:
        return data_dir / DB_NAME
    name = sa.engine.make_url(normalise_url(database_url)).database
    if not name or name == ":memory:":
        raise BackupError("invalid_store", f"no database file in {database_url!r}")
    return Path(name)


# --- backup -------------------------------------------------------------------------------


def backup(
    data_dir: Path,
    target: Path,
    *,
    database_url: str | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Write a consistent backup of a (possibly serving) embedded store to the new ``target``."""
    db_path = database_path(data_dir, database_url)
    if not db_path.is_file():
        raise BackupError("no_database", f"no etagere database at {db_path}")
    blob_root = data_dir / BLOB_DIR
    _check_target(target, blob_root)
    staging = target.parent / f".{target.name}.partial-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    try:
        with _sqlite_errors():
            manifest = _write_backup(db_path, blob_root, staging, progress)
        os.rename(staging, target)  # onto an empty directory too (POSIX)
        fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _check_target(target: Path, blob_root: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError("target_not_empty", f"{target} exists and is not an empty directory")
    if target.resolve().is_relative_to(blob_root.resolve()):
        raise BackupError("invalid_target", f"{target} is inside the blob directory {blob_root}")


def _write_backup(
    db_path: Path, blob_root: Path, staging: Path, progress: Progress | None
) -> Manifest:
    pins = _Pins(blob_root, staging / BLOB_DIR)
    pins.into.mkdir()
    snapshot = _connect(db_path)
    fence = _connect(db_path)
    try:
        for _ in range(PIN_PASSES):
            if pins.pin(_referenced(snapshot).values(), required=False) == 0:
                break
        fence.execute("BEGIN IMMEDIATE")
        try:
            snapshot.execute("BEGIN")
            referenced = _referenced(snapshot)  # the first read fixes the snapshot's version
            pins.pin(referenced.values(), required=True)
        finally:
            fence.execute("ROLLBACK")
        _copy_snapshot(snapshot, staging / DB_NAME)
    finally:
        snapshot.close()
        fence.close()
    pins.drop_all_but(referenced)
    _verify_pins(pins, referenced, progress)
    os.sync()  # links and copies are durable before the manifest says the backup is complete
    manifest = _manifest(staging / DB_NAME, referenced)
    _write_manifest(staging / MANIFEST, manifest)
    return manifest


class _Pins:
    """Files of the live store held in the backup: hard links when possible, else copies."""

    def __init__(self, blob_root: Path, into: Path) -> None:
        self.blob_root = blob_root
        self.into = into
        self.link = True
        # key -> sha256 measured while copying (None for a hard link, checked later).
        self.pinned: dict[str, str | None] = {}

    def pin(self, records: Iterable[BlobRecord], *, required: bool) -> int:
        """Pin the records not pinned yet; how many were new. A missing file is skipped (its
        document was deleted since the query) unless ``required``."""
        added = 0
        for record in records:
            if record.key in self.pinned:
                continue
            source = self.blob_root.joinpath(*validate_key(record.key))
            target = self.into.joinpath(*validate_key(record.key))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.pinned[record.key] = self._pin_one(source, target)
            except FileNotFoundError:
                if required:
                    raise BackupError(
                        "missing_blob",
                        f"the file of document {record.document_id} ({record.key}) is missing "
                        f"from {self.blob_root}: the store is damaged",
                    ) from None
                continue
            added += 1
        return added

    def _pin_one(self, source: Path, target: Path) -> str | None:
        if self.link:
            try:
                os.link(source, target)
                return None
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                    raise
                self.link = False  # another filesystem (or none with links): copy from now on
        return _copy_hashing(source, target)[1]

    def drop_all_but(self, keep: dict[str, BlobRecord]) -> None:
        """Remove pins of documents deleted between a pinning pass and the snapshot."""
        for key in [k for k in self.pinned if k not in keep]:
            self.into.joinpath(*validate_key(key)).unlink()
            del self.pinned[key]


def _verify_pins(pins: _Pins, referenced: dict[str, BlobRecord], progress: Progress | None) -> None:
    total = len(referenced)
    if progress:
        progress(0, total)
    for done, record in enumerate(referenced.values(), start=1):
        path = pins.into.joinpath(*validate_key(record.key))
        digest = pins.pinned[record.key]
        size = path.stat().st_size
        if digest is None:
            digest = _sha256_file(path)
        if (size, digest) != (record.size, record.sha256):
            raise BackupError(
                "corrupt_blob",
                f"the file of document {record.document_id} ({record.key}) does not match the "
                "size and sha256 recorded at upload: the live store is damaged",
            )
        if progress:
            progress(done, total)


def _copy_snapshot(source: sqlite3.Connection, target: Path) -> None:
    """Copy the snapshot ``source``'s open read transaction sees, then end that transaction."""
    dest = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(dest, pages=STEP_PAGES)
        source.execute("COMMIT")
        # One self-contained file; the server turns WAL back on when it opens it.
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
    _fsync_file(target)


def _manifest(db_file: Path, referenced: dict[str, BlobRecord]) -> Manifest:
    conn = _connect(db_file)
    try:
        libraries = conn.execute("SELECT count(*) FROM libraries").fetchone()[0]
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        revision = conn.execute("SELECT max(version_num) FROM alembic_version").fetchone()[0]
    finally:
        conn.close()
    return Manifest(
        etagere_version=etagere.__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        schema_revision=revision,
        libraries=libraries,
        documents=documents,
        blobs=len(referenced),
        blob_bytes=sum(r.size for r in referenced.values()),
        database_bytes=db_file.stat().st_size,
        database_sha256=_sha256_file(db_file),
    )


def _write_manifest(path: Path, manifest: Manifest) -> None:
    with path.open("x") as handle:
        json.dump(manifest.to_json(), handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    fsync_directory(path.parent)


# --- restore ------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    """The manifest of a complete backup; ``BackupError`` for anything else."""
    path = source / MANIFEST
    if not source.is_dir():
        raise BackupError("invalid_backup", f"{source} is not a directory")
    if not path.is_file():
        raise BackupError(
            "incomplete_backup",
            f"{source} has no {MANIFEST}: not a complete etagere backup "
            "(an interrupted backup leaves none)",
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError("invalid_backup", f"{path} cannot be read: {exc}") from exc
    return Manifest.from_json(data)


def restore(
    source: Path,
    data_dir: Path,
    *,
    database_url: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    """Check a backup completely, then install it in ``data_dir`` (database last).

    A data directory that already holds a database is refused unless ``force``: its database
    is then replaced, and its old files are left to the server's orphan sweeper.
    """
    db_path = database_path(data_dir, database_url)
    manifest = read_manifest(source)
    if not force and any(p.exists() for p in _database_files(db_path)):
        raise BackupError(
            "database_exists",
            f"{db_path} already exists; restore into a new data directory, or pass --force to "
            "replace that database (stop the server first)",
        )
    source_db = source / DB_NAME
    if not source_db.is_file() or _sha256_file(source_db) != manifest.database_sha256:
        raise BackupError(
            "corrupt_backup",
            f"{source_db} is missing or does not match the manifest: the backup is damaged",
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    incoming = db_path.with_name(f".{db_path.name}.restore-{uuid.uuid4().hex}")
    staged: dict[str, Path] = {}
    try:
        with _sqlite_errors():
            _copy_hashing(source_db, incoming)
            referenced = _check_restored_database(incoming, manifest)
        blob_root = data_dir / BLOB_DIR
        staged = _stage_blobs(source / BLOB_DIR, blob_root, referenced, progress)
        _install(staged, blob_root, incoming, db_path)
    except BaseException:
        for path in [incoming, *staged.values()]:
            path.unlink(missing_ok=True)
        raise
    return manifest


def _check_restored_database(db_file: Path, manifest: Manifest) -> dict[str, BlobRecord]:
    conn = _connect(db_file)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError("corrupt_backup", f"the backup's database fails its check: {check}")
        referenced = _referenced(conn)
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        libraries = conn.execute("SELECT count(*) FROM libraries").fetchone()[0]
    finally:
        conn.close()
    found = (libraries, documents, len(referenced))
    if found != (manifest.libraries, manifest.documents, manifest.blobs):
        raise BackupError("corrupt_backup", "the backup's database does not match its manifest")
    return referenced


def _stage_blobs(
    source: Path, blob_root: Path, referenced: dict[str, BlobRecord], progress: Progress | None
) -> dict[str, Path]:
    """Copy every file into the store's ``tmp/`` and check it on the way; nothing is visible
    yet. Returns key -> staged path (the caller removes them on failure)."""
    tmp = blob_root / TMP_DIR
    tmp.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    total = len(referenced)
    if progress:
        progress(0, total)
    try:
        for done, record in enumerate(referenced.values(), start=1):
            path = tmp / uuid.uuid4().hex
            staged[record.key] = path
            try:
                measured = _copy_hashing(source.joinpath(*validate_key(record.key)), path)
            except FileNotFoundError:
                raise _damaged(record, "is missing from") from None
            if measured != (record.size, record.sha256):
                raise _damaged(record, "does not match its recorded size and sha256 in")
            if progress:
                progress(done, total)
    except BaseException:
        for path in staged.values():
            path.unlink(missing_ok=True)
        raise
    return staged


def _damaged(record: BlobRecord, what: str) -> BackupError:
    return BackupError(
        "corrupt_backup",
        f"the file of document {record.document_id} ({record.key}) {what} the backup: "
        "the backup is damaged; nothing was restored",
    )


def _install(staged: dict[str, Path], blob_root: Path, incoming: Path, db_path: Path) -> None:
    """Move the checked files into place, then the database: until the database is there, a
    crash leaves only unreferenced files (collected by the orphan sweeper)."""
    for key, path in staged.items():
        final = blob_root.joinpath(*validate_key(key))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)
    os.sync()
    for stale in _database_files(db_path):
        stale.unlink(missing_ok=True)
    os.replace(incoming, db_path)
    fsync_directory(db_path.parent)


def _database_files(db_path: Path) -> list[Path]:
    return [db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal"))]


# --- shared -------------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to an existing database file that never creates one."""
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=rw",
        uri=True,
        isolation_level=None,
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )


def _referenced(conn: sqlite3.Connection) -> dict[str, BlobRecord]:
    """Every blob the documents table references (columns as in ``metadata/schema.py``)."""
    rows = conn.execute("SELECT blob_key, size, hash, id FROM documents ORDER BY blob_key")
    found: dict[str, BlobRecord] = {}
    for key, size, sha256, document_id in rows:
        found.setdefault(key, BlobRecord(key, size, sha256, str(uuid.UUID(document_id))))
    return found


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    """SQLite's exceptions, translated once into ``BackupError``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise BackupError("database_error", f"SQLite: {exc}") from exc


def _copy_hashing(source: Path, target: Path) -> tuple[int, str]:
    """Copy a file (durably, failing if ``target`` exists); its size and sha256."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("xb") as dst:
        while chunk := src.read(HASH_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return size, digest.hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
