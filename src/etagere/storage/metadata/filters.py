"""Compile the shared filter language to SQL over the documents table (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from etagere.core.filters import DOCUMENT_FIELDS, And, Equal, Filter, In, Not, Or, Range, Scalar
from etagere.storage.metadata.schema import documents

_COLUMN_FOR_FIELD = {
    "document_id": documents.c.id,
    "name": documents.c.name,
    "mime_type": documents.c.mime_type,
    "extension": documents.c.extension,
    "size": documents.c.size,
    "created_at": documents.c.created_at,
}
assert set(_COLUMN_FOR_FIELD) == DOCUMENT_FIELDS


def compile_filter(node: Filter, dialect: str) -> sa.ColumnElement[bool]:
    """A WHERE clause equivalent to ``node``."""
    if isinstance(node, And):
        return sa.and_(*(compile_filter(m, dialect) for m in node.matches))
    if isinstance(node, Or):
        return sa.or_(*(compile_filter(m, dialect) for m in node.matches))
    if isinstance(node, Not):
        # A missing attribute compares as NULL; "not" must still keep such documents.
        return sa.not_(sa.func.coalesce(compile_filter(node.match, dialect), sa.false()))
    if node.field in _COLUMN_FOR_FIELD:
        return _on_column(node, _COLUMN_FOR_FIELD[node.field])
    return _on_attribute(node, node.field.removeprefix("attributes."), dialect)


def _on_column(node: Equal | In | Range, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    if isinstance(node, Equal):
        return column == node.value
    if isinstance(node, In):
        return column.in_(node.values)
    bounds = [(node.gt, "__gt__"), (node.gte, "__ge__"), (node.lt, "__lt__"), (node.lte, "__le__")]
    return sa.and_(*(getattr(column, op)(v) for v, op in bounds if v is not None))


def _on_attribute(node: Equal | In | Range, key: str, dialect: str) -> sa.ColumnElement[bool]:
    if isinstance(node, Range):
        bounds = [(node.gt, ">"), (node.gte, ">="), (node.lt, "<"), (node.lte, "<=")]
        return sa.and_(*(_compare(_scalar(key, v), op, v) for v, op in bounds if v is not None))
    values = [node.value] if isinstance(node, Equal) else node.values
    return sa.or_(*(_equals(key, v, dialect) for v in values))


def _equals(key: str, value: Scalar, dialect: str) -> sa.ColumnElement[bool]:
    """The attribute equals ``value``, or is a list holding it."""
    scalar = _compare(_scalar(key, value), "=", value)
    encoded = _normalise(value)
    contains: sa.ColumnElement[bool]
    if dialect == "sqlite":
        items = sa.func.json_each(documents.c.attributes, f'$."{key}"').table_valued("value")
        contains = sa.exists(
            sa.select(sa.literal(1)).select_from(items).where(items.c.value == encoded)
        )
    else:
        as_jsonb = sa.cast(documents.c.attributes, JSONB)
        needle = sa.cast(sa.func.json_build_array(encoded), JSONB)
        contains = sa.and_(
            sa.func.jsonb_typeof(as_jsonb[key]) == "array", as_jsonb[key].contains(needle)
        )
    return sa.or_(scalar, contains)


def _scalar(key: str, value: Scalar) -> sa.ColumnElement[Any]:
    element = documents.c.attributes[key]
    typed: sa.ColumnElement[Any]
    if isinstance(value, bool):
        typed = element.as_boolean()
    elif isinstance(value, int | float):
        typed = element.as_float()
    else:
        typed = element.as_string()
    return typed


def _compare(expr: sa.ColumnElement[Any], op: str, value: Scalar) -> sa.ColumnElement[bool]:
    return expr.op(op, is_comparison=True)(_normalise(value))


def _normalise(value: Scalar) -> Scalar:
    """Datetimes are stored as UTC ISO-8601 strings, so compare them in that form."""
    if isinstance(value, datetime):
        return encode_datetime(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def encode_datetime(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()
