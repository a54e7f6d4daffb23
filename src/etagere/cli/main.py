"""The ``etagere`` command: ``serve``, ``worker``, ``admin``, ``mcp``, ``backup``, ``restore``,
``config``, ``import`` and ``export``.

Commands are imported only when run: ``serve`` pulls in the web stack, the embedder and the
MCP SDK (seconds of CPU), which ``etagere --help`` and ``--version`` have no use for. Each
command's one-line help is written here for the same reason; a test keeps it equal to the
command's own.
"""

from __future__ import annotations

import importlib

import click

import etagere
from etagere.core.extras import MissingExtra

# name: (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": (
        "etagere.cli.serve",
        "serve",
        "Serve the API, with processing workers in the same process.",
    ),
    "worker": (
        "etagere.cli.serve",
        "worker",
        "Process documents (no HTTP API); run as many as the machine allows.",
    ),
    "admin": ("etagere.cli.admin", "admin", "Manage identities directly in the metadata store."),
    "mcp": (
        "etagere.cli.mcp",
        "mcp",
        "Serve MCP over stdio as the user of ETAGERE_API_KEY (no running server needed).",
    ),
    "backup": (
        "etagere.cli.backup",
        "backup",
        "Back up the embedded store (database and files) to the new directory PATH.",
    ),
    "restore": (
        "etagere.cli.backup",
        "restore",
        "Restore the backup at PATH into the data directory (checked completely first).",
    ),
    "config": (
        "etagere.cli.config",
        "config",
        "Print the effective settings (flags, environment, config file, defaults); secrets masked.",
    ),
    "import": (
        "etagere.cli.importing",
        "import_",
        "Upload PATHS (files, folders, globs, .zip archives) into a library, resumably.",
    ),
    "export": (
        "etagere.cli.exporting",
        "export",
        "Write a library's original files under DEST/files and DEST/manifest.jsonl.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when one of them runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _help = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_m, _a, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(etagere.__version__, prog_name="etagere")
def cli() -> None:
    """etagere: document libraries for AI agents, speaking the Mistral Libraries API."""


def main() -> None:
    try:
        cli()
    except MissingExtra as exc:
        click.echo(f"etagere: {exc}", err=True)
        raise SystemExit(2) from None
