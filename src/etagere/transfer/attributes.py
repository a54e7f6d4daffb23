"""Document attributes for an import: Markdown front matter, a sidecar, then ``--attr``.

Later sources win key by key: front matter < ``NAME.meta.json`` < ``--attr k=v``. Values the
server cannot store as attributes (nested objects) are kept as their JSON text; dates become
ISO-8601 strings, which the server stores as datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import yaml

AttributeValue = str | int | float | bool | list[Any]
FRONT_MATTER_SUFFIXES = (".md", ".markdown")
# Front matter is at the top: more than this and it is not front matter worth reading.
FRONT_MATTER_MAX_BYTES = 64 * 1024


class AttributeProblem(ValueError):
    """A sidecar, front matter or ``--attr`` that cannot be read as attributes."""


def parse_attr_options(pairs: Sequence[str]) -> dict[str, AttributeValue]:
    """``["team=legal", "year=2024", "tags=[\\"a\\",\\"b\\"]"]``: JSON values where they parse."""
    attributes: dict[str, AttributeValue] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise AttributeProblem(f"--attr {pair!r}: expected KEY=VALUE")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if value is None or isinstance(value, dict):
            value = raw
        attributes[key.strip()] = _storable(value)
    return attributes


def from_sidecar(content: bytes, label: str) -> dict[str, AttributeValue]:
    """A sidecar's JSON object, as attributes."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise AttributeProblem(f"{label}: sidecar is not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise AttributeProblem(f"{label}: sidecar must hold a JSON object of attributes")
    return _mapping(data)


def from_front_matter(head: bytes) -> dict[str, AttributeValue]:
    """The YAML front matter at the top of a Markdown file (``---`` ... ``---``), if any."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    ends = [i for i, line in enumerate(lines[1:], start=1) if line.strip() in ("---", "...")]
    if not ends:
        return {}
    try:
        data = yaml.safe_load("\n".join(lines[1 : ends[0]]))
    except yaml.YAMLError:
        return {}  # not front matter after all: the file is imported as it is
    return _mapping(data) if isinstance(data, dict) else {}


def merged(*layers: Mapping[str, AttributeValue]) -> dict[str, AttributeValue]:
    result: dict[str, AttributeValue] = {}
    for layer in layers:
        result.update(layer)
    return result


def _mapping(data: Mapping[Any, Any]) -> dict[str, AttributeValue]:
    return {str(k): _storable(v) for k, v in data.items() if v is not None}


def _storable(value: Any) -> AttributeValue:
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list) and all(
        isinstance(v, bool | int | float | str | datetime | date) for v in value
    ):
        return [v.isoformat() if isinstance(v, datetime | date) else v for v in value]
    return json.dumps(value, default=str, ensure_ascii=False)
