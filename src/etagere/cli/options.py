"""Options every command takes, turned into one ``Settings`` object."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from etagere.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def store_options(func: F) -> F:
    """Add ``--data-dir``, ``--database-url`` and ``--json`` to a command."""

    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Data directory (env ETAGERE_DATA_DIR; default ./etagere-data).",
    )
    @click.option(
        "--database-url",
        default=None,
        help="Metadata store URL, e.g. postgresql://user@host/db (env ETAGERE_DATABASE_URL).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def build_settings(**flags: Any) -> Settings:
    """Settings from the flags that were given (others come from the environment)."""
    given = {k: v for k, v in flags.items() if v is not None}
    return Settings(**given)


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    """Print ``data`` as JSON, or ``text`` for people."""
    click.echo(json.dumps(data, default=str) if as_json else text)
