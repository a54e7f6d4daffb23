"""Retries for idempotent-enough calls: 429 and 5xx answers and dropped connections.

The wait doubles from ``BASE_DELAY_S`` up to ``MAX_DELAY_S`` with full jitter (so many clients
retrying at once spread out), unless the server said how long with ``Retry-After``, which wins.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 6
BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0
# A Retry-After longer than this is not waited for: the call fails and the import says why.
MAX_RETRY_AFTER_S = 300.0


class RetriesExhausted(Exception):
    """The call kept failing with a retryable error; ``reason`` says the last one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int) -> float:
    """Full-jitter exponential backoff for the ``attempt``-th retry (from 1)."""
    return random.uniform(0, min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1)))


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Call ``send`` until it answers something other than 429/5xx or a transport error.

    Returns the last response when it is not retryable; raises ``RetriesExhausted`` when every
    attempt failed with a retryable error.
    """
    reason = "no attempt made"
    for attempt in range(1, attempts + 1):
        try:
            response = send()
        except httpx.TransportError as exc:
            reason = f"{type(exc).__name__}: {exc}"
            wait = backoff_seconds(attempt)
        else:
            if response.status_code not in RETRIED_STATUSES:
                return response
            reason = f"HTTP {response.status_code}: {error_detail(response)}"
            told = retry_after_seconds(response.headers.get("retry-after"))
            if told is not None and told > MAX_RETRY_AFTER_S:
                break
            wait = told if told is not None else backoff_seconds(attempt)
        if attempt < attempts:
            sleep(wait)
    raise RetriesExhausted(reason)


def error_detail(response: httpx.Response) -> str:
    """The readable part of an etagere error body (``detail``), or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(str(item.get("msg", item)) for item in detail if isinstance(item, dict))
    return str(detail) if detail is not None else str(body)[:200]
