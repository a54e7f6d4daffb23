"""Options of the commands that talk to a running server: ``import``, ``export``, ``mcp``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx

from etagere.cli.options import build_settings
from etagere.transfer.connection import Connection, ConnectionProblem, resolve_connection
from etagere.transfer.retry import RetriesExhausted

F = TypeVar("F", bound=Callable[..., Any])


def remote_options(func: F) -> F:
    """Add ``--server-url``, ``--api-key``, ``--data-dir`` (where the first-start key file is)
    and ``--json``."""

    @click.option(
        "--server-url",
        default=None,
        help="URL of the running etagere (env ETAGERE_SERVER_URL; default the local server).",
    )
    @click.option(
        "--api-key",
        default=None,
        help="API key (env ETAGERE_API_KEY; default DATA_DIR/initial-api-key).",
    )
    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where to find the first-start key file (env ETAGERE_DATA_DIR).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def connection_from(flags: Mapping[str, Any]) -> Connection:
    """The connection named by the flags of ``remote_options`` and the environment."""
    settings = build_settings(data_dir=flags.get("data_dir"))
    try:
        return resolve_connection(flags.get("server_url"), flags.get("api_key"), settings)
    except ConnectionProblem as exc:
        raise click.UsageError(str(exc)) from exc


@contextmanager
def remote_session(
    flags: Mapping[str, Any], *, max_connections: int = 10
) -> Iterator[httpx.Client]:
    """An authenticated client; a server that cannot be reached ends the command clearly."""
    connection = connection_from(flags)
    try:
        with connection.client(max_connections=max_connections) as http:
            yield http
    except RetriesExhausted as exc:
        raise click.ClickException(
            f"cannot reach etagere at {connection.server_url}: {exc.reason}"
        ) from exc
