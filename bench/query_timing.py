"""Timing queries one at a time, as every search benchmark here does."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from search_data import Queries

Latencies = npt.NDArray[np.float64]
QueryFn = Callable[[str, np.ndarray], list[int]]
# A counter read around each query (nanoseconds; None when it cannot be read), such as the CPU
# time of the database process serving it.
Probe = Callable[[], int | None]


@dataclass
class Timings:
    wall: Latencies
    cpu: Latencies  # CPU time of the whole process, all threads: robust to other processes' load
    found: list[list[int]]
    probed: Latencies | None = None  # the probe's increase per query, ms (zeros if unreadable)


def run_queries(fn: QueryFn, queries: Queries, warmup: int, probe: Probe | None = None) -> Timings:
    """Each query once, in order, timed alone; ``warmup`` untimed queries first."""
    for i in range(min(warmup, len(queries.texts))):
        fn(queries.texts[i], queries.vectors[i])
    wall, cpu, probed, found = [], [], [], []
    for text, vector in zip(queries.texts, queries.vectors, strict=True):
        before = probe() if probe is not None else None
        started, started_cpu = time.perf_counter_ns(), time.process_time_ns()
        found.append(fn(text, vector))
        cpu.append((time.process_time_ns() - started_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - started) / 1e6)
        after = probe() if probe is not None else None
        probed.append((after - before) / 1e6 if before is not None and after is not None else 0.0)
    return Timings(
        np.array(wall), np.array(cpu), found, np.array(probed) if probe is not None else None
    )
