"""``etagere import``: files, folders, globs and zips into a library of a running server."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

from etagere.cli.remote_options import remote_options, remote_session
from etagere.transfer import attributes as attrs
from etagere.transfer.display import LiveProgress, failed, print_summary, summary_json
from etagere.transfer.importer import FileResult, Importer, ImportInterrupted, ImportOptions
from etagere.transfer.remote import ApiError, LibraryApi, RemoteLibrary
from etagere.transfer.sources import Selection, SourceProblem, find_sources

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@click.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--library", "library_ref", required=True, help="Library name or id.")
@click.option("--create", is_flag=True, help="Create the library if no library has this name.")
@click.option("--wait", is_flag=True, help="Wait until every document is processed.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Uploads in flight at once.",
)
@click.option(
    "--attr",
    "attr_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help='Attribute set on every document (JSON values: 2024, true, ["a"]).',
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Only files whose name or relative path matches (repeatable).",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files whose name or relative path matches (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be sent; change nothing.")
@remote_options
def import_(
    paths: tuple[str, ...],
    library_ref: str,
    create: bool,
    wait: bool,
    concurrency: int,
    attr_pairs: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    **connection: Any,
) -> None:
    """Upload PATHS (files, folders, globs, .zip archives) into a library, resumably.

    Files the library already holds (same bytes) are skipped, so running the same command
    again after an interruption sends only what is missing. Exit code: 0 when everything
    arrived, 1 when a file was refused or failed (upload or, with --wait, processing), 130
    when interrupted.
    """
    try:
        options = ImportOptions(
            concurrency=concurrency,
            wait=wait,
            dry_run=dry_run,
            attributes=attrs.parse_attr_options(attr_pairs),
        )
        sources = find_sources(paths, Selection(include=include, exclude=exclude))
    except (attrs.AttributeProblem, SourceProblem) as exc:
        raise click.UsageError(str(exc)) from exc
    out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    with remote_session(connection, max_connections=concurrency + 2) as http:
        api = LibraryApi(http)
        library = _library(api, library_ref, create=create, dry_run=dry_run)
        interrupted = False
        with LiveProgress(Console(stderr=True)) as live:
            try:
                results = Importer(api, library, options, live).run(sources)
            except ImportInterrupted as stop:
                results, interrupted = stop.results, True
    _finish(out, library, results, as_json=as_json, interrupted=interrupted, waited=wait)


def _library(api: LibraryApi, ref: str, *, create: bool, dry_run: bool) -> RemoteLibrary | None:
    try:
        found = api.find_library(ref)
    except ApiError as exc:
        raise click.ClickException(f"cannot look up library {ref!r}: {exc}") from exc
    if found is not None:
        return found
    if not create:
        raise click.ClickException(f"no library named {ref!r} (add --create to create it)")
    return None if dry_run else api.create_library(ref)


def _finish(
    out: Console,
    library: RemoteLibrary | None,
    results: list[FileResult],
    *,
    as_json: bool,
    interrupted: bool,
    waited: bool,
) -> None:
    if as_json:
        click.echo(json.dumps(summary_json(library, results, interrupted=interrupted)))
    else:
        print_summary(out, library, results, interrupted=interrupted, waited=waited)
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if failed(results):
        sys.exit(EXIT_FAILED)
