"""Reading what people type into console forms: filters, typed attribute values, ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from etagere.core.errors import InvalidInput, NotFound
from etagere.core.filters import And, Equal, Filter, parse_filter
from etagere.domain.documents import AttributeValue

ATTRIBUTE_TYPES = ("text", "number", "boolean", "date", "list")


def parse_attribute_filter(raw: str, location: tuple[str, ...]) -> Filter | None:
    """``team=legal, year=2024`` (all must hold), or the JSON filter language itself."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.startswith("{"):
        return parse_filter(raw, location)
    matches: list[Filter] = []
    for part in raw.split(","):
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise InvalidInput(f"Write filters as name=value, not {part.strip()!r}", location)
        matches.append(Equal(field=name.strip(), value=_scalar(value.strip())))
    return matches[0] if len(matches) == 1 else And(matches=matches)


def _scalar(value: str) -> bool | int | float | str:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def typed_attribute(name: str, kind: str, value: str) -> AttributeValue:
    """One attribute from the edit form, converted to the type chosen beside it."""
    location = ("body", "attributes", name)
    try:
        if kind == "number":
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        if kind == "boolean":
            return value.strip().lower() in ("true", "yes", "1", "on")
        if kind == "date":
            moment = datetime.fromisoformat(value.strip())
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if kind == "list":
            items = json.loads(value)
            if not isinstance(items, list):
                raise ValueError("not a list")
            return items
    except (ValueError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"Attribute {name!r}: {value!r} is not a {kind}", location) from exc
    return value


def attribute_kind(value: object) -> str:
    """The edit form's type for a stored value (dates are stored as ISO-8601 strings)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str) and _looks_like_date(value):
        return "date"
    return "text"


def attribute_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _looks_like_date(value: str) -> bool:
    if len(value) < 10 or value[4:5] != "-":
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def parse_expiry(raw: str) -> datetime | None:
    """The expiry field (a ``datetime-local`` value, read as UTC); empty means never."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{raw!r} is not a date and time", ("body", "expires_at")) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def uuid_or_not_found(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise NotFound(f"{what} {value!r} not found") from exc
