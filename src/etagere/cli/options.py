"""Options every command takes, turned into one ``Settings`` object (or a one-line refusal).

Settings come from flags, then ``ETAGERE_*`` environment variables, then the TOML file named
by ``--config`` (or ``ETAGERE_CONFIG``), then defaults. They are all validated before anything
is opened or migrated: a bad value ends the command with one line naming the setting and exit
code 2, as click does for a bad flag.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

from etagere.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

# Exit status of a usage error, as click uses it.
USAGE_ERROR = 2


def store_options(func: F) -> F:
    """Add ``--config``, ``--data-dir``, ``--database-url`` and ``--json`` to a command."""

    @click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ETAGERE_CONFIG",
        default=None,
        help="A TOML file of settings (names as in `etagere config`; env ETAGERE_CONFIG).",
    )
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


def build_settings(config: Path | None = None, **flags: Any) -> Settings:
    """Settings from the flags given, the environment and ``config``; exits 2 if invalid."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        if config is None:
            return Settings(**given)
        if not config.is_file():
            _refuse(f"config file {config} not found")
        return _settings_with_file(config)(**given)
    except ValidationError as exc:
        _refuse(_describe(exc))


def _settings_with_file(path: Path) -> type[Settings]:
    class SettingsWithFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, path)

    return SettingsWithFile


def _describe(exc: ValidationError) -> str:
    """The first problem of a settings error, as one line naming the setting."""
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    name = str(error["loc"][0])
    shown = repr(error["input"]) if error["type"] != "extra_forbidden" else "given"
    if error["type"] == "extra_forbidden":
        return f"unknown setting {name!r}; `etagere config` lists them"
    return f"ETAGERE_{name.upper()}={shown[:60]}: {message}"


def _refuse(message: str) -> NoReturn:
    click.echo(f"etagere: invalid settings: {message}", err=True)
    sys.exit(USAGE_ERROR)


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    """Print ``data`` as JSON, or ``text`` for people."""
    click.echo(json.dumps(data, default=str) if as_json else text)
