"""Step the processing worker from a test: run the queued jobs now, in this process, then look.

A server started with ``workers=0`` only queues uploads; ``process_queue`` builds the same
runtime as ``etagere worker`` over the same store and runs ``Worker.run_once`` until nothing
is left, so a test knows exactly when processing happened instead of polling and sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from etagere.ingestion.worker import Worker
from etagere.runtime import Runtime
from etagere.settings import Settings
from tests.support.servers import StoreLocation


@contextmanager
def stepped_worker(store: StoreLocation, **settings: object) -> Iterator[Worker]:
    """A worker over ``store`` that processes only when the test calls ``run_once``."""
    options: dict[str, object] = {"data_dir": store.data_dir, **settings}
    if store.database_url:
        options["database_url"] = store.database_url
    runtime = Runtime.open(Settings(**options))  # type: ignore[arg-type]
    try:
        yield runtime.worker()
    finally:
        runtime.stop()


def process_queue(store: StoreLocation, **settings: object) -> int:
    """Run every queued job to its end, one at a time; how many jobs ran."""
    with stepped_worker(store, **settings) as worker:
        done = 0
        while worker.run_once():
            done += 1
        return done
