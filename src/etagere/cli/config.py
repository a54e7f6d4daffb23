"""``etagere config``: the settings a command would run with, and where each came from is moot:
flags, environment, ``--config`` file and defaults are already merged. Secrets are masked.

The output is TOML, so it can be saved as a starting ``etagere.toml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from etagere.cli.options import build_settings, emit, store_options
from etagere.settings import Settings

MASK = "********"


@click.command("config")
@store_options
def config(as_json: bool, **flags: Any) -> None:
    """Print the effective settings (flags, environment, config file, defaults); secrets masked."""
    settings = build_settings(**flags)
    values = {name: _shown(getattr(settings, name)) for name in Settings.model_fields}
    emit(as_json, values, "\n".join(_toml_line(name, value) for name, value in values.items()))


def _shown(value: object) -> object:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, Path):
        return str(value)
    return value


def _toml_line(name: str, value: object) -> str:
    if value is None:
        return f"# {name} = (unset)"
    if isinstance(value, bool):
        return f"{name} = {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"{name} = {value}"
    return f"{name} = {_toml_value(value)}"


def _toml_value(value: object) -> str:
    """A string, list or table as TOML (JSON's string escapes are TOML's basic strings)."""
    if isinstance(value, dict):
        pairs = ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))
