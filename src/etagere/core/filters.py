"""The filter language shared by document listing and search: the SDK's filter models.

``{"type": "equal", "field": "team", "value": "legal"}``, ``in`` (``values``), ``range``
(``gt``/``gte``/``lt``/``lte``), and the combinators ``and``/``or`` (``matches``) and ``not``
(``match``). A field is a document field (``DOCUMENT_FIELDS``) or else an attribute name;
``attributes.NAME`` names an attribute explicitly. On a list-valued attribute, ``equal`` and
``in`` match when any element matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from etagere.core.errors import InvalidInput

Scalar = bool | int | float | str | datetime

# Document fields a filter may name directly (everything else is an attribute).
DOCUMENT_FIELDS = frozenset({"document_id", "name", "mime_type", "extension", "size", "created_at"})
MAX_DEPTH = 8


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Equal(_Node):
    type: Literal["equal"] = "equal"
    field: str = Field(min_length=1, max_length=200)
    value: Scalar


class In(_Node):
    type: Literal["in"] = "in"
    field: str = Field(min_length=1, max_length=200)
    values: list[Scalar] = Field(min_length=1, max_length=1000)


class Range(_Node):
    type: Literal["range"] = "range"
    field: str = Field(min_length=1, max_length=200)
    gt: Scalar | None = None
    gte: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None

    @model_validator(mode="after")
    def _needs_a_bound(self) -> Range:
        if all(v is None for v in (self.gt, self.gte, self.lt, self.lte)):
            raise ValueError("range needs at least one of gt, gte, lt, lte")
        return self


class And(_Node):
    type: Literal["and"] = "and"
    matches: list[Filter] = Field(min_length=1, max_length=100)


class Or(_Node):
    type: Literal["or"] = "or"
    matches: list[Filter] = Field(min_length=1, max_length=100)


class Not(_Node):
    type: Literal["not"] = "not"
    match: Filter


Filter = Annotated[Equal | In | Range | And | Or | Not, Field(discriminator="type")]
for _model in (And, Or, Not):
    _model.model_rebuild()

_ADAPTER: TypeAdapter[Filter] = TypeAdapter(Filter)


def parse_filter(raw: str | dict[str, object], location: tuple[str, ...]) -> Filter:
    """A filter from JSON text or a decoded object; ``InvalidInput`` at ``location`` if bad."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        parsed = _ADAPTER.validate_python(data)
    except (ValueError, ValidationError) as exc:
        raise InvalidInput(f"invalid filter: {exc}", location) from exc
    if depth(parsed) > MAX_DEPTH:
        raise InvalidInput(f"filters nest at most {MAX_DEPTH} levels", location)
    try:
        return _typed(parsed)
    except ValueError as exc:
        raise InvalidInput(f"invalid filter: {exc}", location) from exc


def _typed(node: Filter) -> Filter:
    """Give values on document fields the field's type (ids are UUIDs, dates are datetimes)."""
    if isinstance(node, And | Or):
        return node.model_copy(update={"matches": [_typed(m) for m in node.matches]})
    if isinstance(node, Not):
        return node.model_copy(update={"match": _typed(node.match)})
    convert = _FIELD_TYPES.get(node.field)
    if convert is None:
        return node
    if isinstance(node, Equal):
        return node.model_copy(update={"value": convert(node.value)})
    if isinstance(node, In):
        return node.model_copy(update={"values": [convert(v) for v in node.values]})
    bounds = {
        k: convert(v) for k in ("gt", "gte", "lt", "lte") if (v := getattr(node, k)) is not None
    }
    return node.model_copy(update=bounds)


def _as_uuid(value: Scalar) -> UUID:
    return UUID(str(value))


def _as_datetime(value: Scalar) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_number(value: Scalar) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"size must be a number, not {value!r}")
    return value


def _as_text(value: Scalar) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {value!r}")
    return value


_FIELD_TYPES: dict[str, Callable[[Scalar], Any]] = {
    "document_id": _as_uuid,
    "created_at": _as_datetime,
    "size": _as_number,
    "name": _as_text,
    "mime_type": _as_text,
    "extension": _as_text,
}
assert set(_FIELD_TYPES) == DOCUMENT_FIELDS


def depth(node: Filter) -> int:
    if isinstance(node, And | Or):
        return 1 + max(depth(m) for m in node.matches)
    if isinstance(node, Not):
        return 1 + depth(node.match)
    return 1
