"""Strict JSON request bodies: what ``json.loads`` lets through but the server cannot keep.

Python's parser accepts lone surrogates (``"\\ud800"``, which no UTF-8 store can hold),
``1e400`` (read as infinity), ``NaN``, integers of thousands of digits and nesting deep enough
to exhaust the stack. Each of these used to surface later as a 500 or a 400. Every JSON body is
checked here once, before a route sees it, and every failure becomes the same 422 body as any
other validation error (``type: json_invalid``), so a client has one shape to handle.
"""

from __future__ import annotations

import json
from typing import Any

# Deeper than any request etagere defines (filters nest and/or a few levels); far below the
# depth at which the parser would exhaust the stack.
MAX_DEPTH = 64
# The range every store etagere writes to (SQLite, PostgreSQL bigint) can hold.
MAX_INT = 2**63 - 1
MAX_INT_DIGITS = 19


class JsonRejected(ValueError):
    """A body that is not acceptable JSON, with a reason fit for the client."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


def parse_strict_json(body: bytes) -> Any:
    """The decoded body, or ``JsonRejected`` saying what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRejected(f"Invalid UTF-8 at byte {exc.start}", exc.start) from None
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise JsonRejected(exc.msg, exc.pos) from None
    except RecursionError:
        raise JsonRejected(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    _check_tree(value)
    return value


def _parse_int(literal: str) -> int:
    digits = literal.lstrip("-")
    if len(digits) > MAX_INT_DIGITS or abs(int(literal)) > MAX_INT:
        raise JsonRejected(f"Integer out of range (at most {MAX_INT_DIGITS} digits, 64-bit)")
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise JsonRejected(f"Number out of range: {literal[:40]}")
    return value


def _reject_constant(literal: str) -> float:
    raise JsonRejected(f"{literal} is not valid JSON")


def _check_tree(value: Any) -> None:
    """Reject lone surrogates (in keys and strings) and nesting deeper than ``MAX_DEPTH``."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise JsonRejected(f"JSON nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRejected(
            "String contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
        ) from None


def rejection_errors(rejected: JsonRejected) -> list[dict[str, Any]]:
    """FastAPI's ``json_invalid`` error list for a rejected body (never echoing the body)."""
    location: list[str | int] = ["body"]
    if rejected.position is not None:
        location.append(rejected.position)
    return [
        {
            "type": "json_invalid",
            "loc": location,
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": rejected.reason},
        }
    ]
