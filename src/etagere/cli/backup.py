"""``etagere backup PATH`` and ``etagere restore PATH``: the embedded store, while it serves."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from etagere.cli.options import build_settings, emit, store_options
from etagere.storage import backup as engine

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@store_options
def backup(path: Path, as_json: bool, **flags: Any) -> None:
    """Back up the embedded store (database and files) to the new directory PATH.

    The server may keep running: the backup is a consistent snapshot of one moment. Server
    mode (PostgreSQL, S3) is backed up with pg_dump and a copy of the bucket instead.
    """
    settings = build_settings(**flags)
    with _reporting(as_json), _progress("Copying files") as progress:
        engine.check_embedded(settings.database_url, settings.blob_store)
        manifest = engine.backup(
            settings.data_dir, path, database_url=settings.database_url, progress=progress
        )
    text = (
        f"backup written to {path}: {_contents(manifest)} ({_size(manifest.blob_bytes)}), "
        f"database {_size(manifest.database_bytes)}"
    )
    emit(as_json, {"path": str(path), **manifest.to_json()}, text)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database already in the data directory.")
@store_options
def restore(path: Path, force: bool, as_json: bool, **flags: Any) -> None:
    """Restore the backup at PATH into the data directory (checked completely first).

    Stop any server on that data directory first. API keys of the backed-up store keep working.
    """
    settings = build_settings(**flags)
    with _reporting(as_json), _progress("Checking and copying files") as progress:
        engine.check_embedded(settings.database_url, settings.blob_store)
        manifest = engine.restore(
            path,
            settings.data_dir,
            database_url=settings.database_url,
            force=force,
            progress=progress,
        )
    text = (
        f"restored {_contents(manifest)} from {path} (made {manifest.created_at}) "
        f"into {settings.data_dir}"
    )
    emit(as_json, {"data_dir": str(settings.data_dir), **manifest.to_json()}, text)


@contextmanager
def _reporting(as_json: bool) -> Iterator[None]:
    """Turn a refused backup or restore into a clear message and exit status 1."""
    try:
        yield
    except engine.BackupError as exc:
        emit(as_json, {"error": exc.code, "detail": exc.message}, f"error: {exc.message}")
        sys.exit(1)
    except OSError as exc:  # a full disk, a permission: the message is the whole story
        emit(as_json, {"error": "os_error", "detail": str(exc)}, f"error: {exc}")
        sys.exit(1)


@contextmanager
def _progress(label: str) -> Iterator[engine.Progress]:
    """A progress callback drawing a bar on stderr once the number of files is known."""
    with ExitStack() as stack:
        bar: ProgressBar[int] | None = None
        shown = 0

        def report(done: int, total: int) -> None:
            nonlocal bar, shown
            if bar is None:
                bar = stack.enter_context(
                    click.progressbar(length=total, label=label, file=sys.stderr)
                )
            bar.update(done - shown)
            shown = done

        yield report


def _contents(manifest: engine.Manifest) -> str:
    counts = (
        (manifest.libraries, "library", "libraries"),
        (manifest.documents, "document", "documents"),
        (manifest.blobs, "file", "files"),
    )
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts)


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
