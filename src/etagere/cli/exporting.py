"""``etagere export``: a library's files and a JSON Lines manifest, from a running server."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from etagere.cli.remote_options import remote_options, remote_session
from etagere.transfer.exporter import MANIFEST, ExportedFile, export_library
from etagere.transfer.remote import ApiError, LibraryApi


@click.command("export")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--library", "library_ref", required=True, help="Library name or id.")
@click.option(
    "--with-text", is_flag=True, help="Put each document's extracted text in the manifest."
)
@remote_options
def export(dest: Path, library_ref: str, with_text: bool, as_json: bool, **flags: Any) -> None:
    """Write a library's original files under DEST/files and DEST/manifest.jsonl.

    `etagere import DEST/files --library OTHER` brings them back, attributes included.
    """
    with remote_session(flags) as http:
        api = LibraryApi(http)
        try:
            library = api.find_library(library_ref)
        except ApiError as exc:
            raise click.ClickException(f"cannot look up library {library_ref!r}: {exc}") from exc
        if library is None:
            raise click.ClickException(f"no library named {library_ref!r}")
        console = Console(stderr=True)
        progress = Progress(
            TextColumn("[bold]Exporting"), BarColumn(), MofNCompleteColumn(), console=console
        )
        task = progress.add_task("export", total=None)
        with progress if console.is_terminal else nullcontext():
            exported = export_library(
                api,
                library,
                dest,
                with_text=with_text,
                on_file=lambda _f: progress.advance(task),
            )
    _report(dest, library.name, exported, as_json)


def _report(dest: Path, library: str, exported: list[ExportedFile], as_json: bool) -> None:
    downloaded = sum(1 for f in exported if f.downloaded)
    data = {
        "library": library,
        "dest": str(dest),
        "manifest": str(dest / MANIFEST),
        "documents": len(exported),
        "downloaded": downloaded,
        "already_there": len(exported) - downloaded,
        "bytes": sum(f.size for f in exported),
    }
    if as_json:
        click.echo(json.dumps(data))
    else:
        click.echo(
            f"Exported {len(exported)} documents of {library!r} to {dest} "
            f"({downloaded} downloaded, {len(exported) - downloaded} already there); "
            f"manifest: {dest / MANIFEST}"
        )
