"""The ``etagere`` command: ``serve``, ``worker``, ``admin``, ``mcp``, ``backup``, ``restore``,
``import`` and ``export``."""

from __future__ import annotations

import click

import etagere
from etagere.cli.admin import admin
from etagere.cli.backup import backup, restore
from etagere.cli.exporting import export
from etagere.cli.importing import import_
from etagere.cli.mcp import mcp
from etagere.cli.serve import serve, worker
from etagere.core.extras import MissingExtra


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(etagere.__version__, prog_name="etagere")
def cli() -> None:
    """etagere: document libraries for AI agents, speaking the Mistral Libraries API."""


cli.add_command(serve)
cli.add_command(worker)
cli.add_command(admin)
cli.add_command(mcp)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(import_)
cli.add_command(export)


def main() -> None:
    try:
        cli()
    except MissingExtra as exc:
        click.echo(f"etagere: {exc}", err=True)
        raise SystemExit(2) from None
