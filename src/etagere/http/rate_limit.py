"""Per-key request limits: a token bucket per API key, in this process's memory.

A bucket holds ``per_minute`` tokens and refills continuously, so a key may burst up to a
minute's allowance and then goes at the steady rate. Limits are per process: behind a load
balancer each ``serve`` process counts on its own, which bounds what one key can take from
any one process (the thing being protected).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Buckets of keys idle this long are full again and are dropped, so memory stays bounded.
IDLE_SECONDS = 120.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Decides whether a key may make one more request now."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def acquire(self, key: str) -> float:
        """Take a token for ``key``: 0 when allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            self._prune(now)
            bucket = self._buckets.setdefault(key, _Bucket(self.capacity, now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        if now < self._next_prune:
            return
        self._next_prune = now + IDLE_SECONDS
        idle = [k for k, b in self._buckets.items() if now - b.updated > IDLE_SECONDS]
        for key in idle:
            del self._buckets[key]


def retry_after_header(wait_seconds: float) -> str:
    """``Retry-After`` in whole seconds, never 0 (a client reading 0 would retry at once)."""
    return str(max(1, math.ceil(wait_seconds)))
