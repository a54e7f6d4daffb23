"""The Prometheus metrics of one process, in a registry of its own.

Each ``Runtime`` owns one ``Metrics`` (a private ``CollectorRegistry``, not the client's global
one), so that several apps built in one test process never register a name twice. Counters and
histograms are updated where the work happens (HTTP middleware, worker, embedder); the store
gauges are read from the metadata store at scrape time by ``StoreCollector``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from etagere.core.errors import StoreUnavailable
from etagere.search.embedding import Embedder
from etagere.storage.metadata import Database
from etagere.storage.metadata import jobs as job_store
from etagere.storage.metadata.stats import StoreStats, store_stats

log = logging.getLogger("etagere.metrics")

FloatArray = npt.NDArray[np.float32]  # what the ``Embedder`` protocol returns

# The steps a document goes through in the worker, in order (the label values of
# ``etagere_processing_step_seconds``); ``store`` is the transaction that writes the text,
# the chunks and their vectors and closes the job.
PROCESSING_STEPS = ("extract", "summary", "tokens", "chunk", "embed", "store")
# How a processing attempt ended: the document's final status, or "retried" when the attempt
# crashed and the job went back to the queue.
DOCUMENT_OUTCOMES = ("done", "missing_content", "error", "retried")
JOB_STATES = (job_store.QUEUED, job_store.RUNNING, job_store.DONE, job_store.FAILED)

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Extraction with OCR takes minutes on a long scan; a summary takes milliseconds.
STEP_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
EMBED_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Every metric this process reports, registered in ``registry``."""

    def __init__(self, store: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.http_requests = Counter(
            "etagere_http_requests_total",
            "HTTP requests answered, by route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "etagere_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by route template.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.step_seconds = Histogram(
            "etagere_processing_step_seconds",
            "Time spent in each processing step of a document.",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.documents_processed = Counter(
            "etagere_documents_processed_total",
            "Processing attempts by outcome (final document status, or retried).",
            ["outcome"],
            registry=self.registry,
        )
        self.embedder_batch = Histogram(
            "etagere_embedder_batch_seconds",
            "Time to embed one batch of document chunks, by embedding model.",
            ["embedder"],
            buckets=EMBED_BUCKETS,
            registry=self.registry,
        )
        self.embedder_texts = Counter(
            "etagere_embedder_texts_total",
            "Document chunks embedded, by embedding model.",
            ["embedder"],
            registry=self.registry,
        )
        # Known label values start at zero, so rates work from the first scrape.
        for step in PROCESSING_STEPS:
            self.step_seconds.labels(step)
        for outcome in DOCUMENT_OUTCOMES:
            self.documents_processed.labels(outcome)
        if store is not None:
            self.registry.register(StoreCollector(store))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one processing step (recorded even when the step raises)."""
        with self.step_seconds.labels(name).time():
            yield

    def document_processed(self, outcome: str) -> None:
        """Count one processing attempt that ended with ``outcome``."""
        self.documents_processed.labels(outcome).inc()

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one answered HTTP request."""
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)


class TimedEmbedder:
    """An ``Embedder`` whose document batches are timed and counted; queries pass through.

    The worker embeds through one of these, so every batch of every implementation is measured
    in one place.
    """

    def __init__(self, inner: Embedder, metrics: Metrics) -> None:
        self.inner = inner
        self.batch_seconds = metrics.embedder_batch.labels(inner.model_name)
        self.texts = metrics.embedder_texts.labels(inner.model_name)

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> FloatArray:
        with self.batch_seconds.time():
            vectors = self.inner.embed_documents(texts)
        self.texts.inc(len(texts))
        return vectors

    def embed_query(self, text: str) -> FloatArray:
        return self.inner.embed_query(text)


class StoreCollector(Collector):
    """Gauges read from the metadata store at each scrape: jobs, documents and chunks.

    Every process reports the same store-wide values (aggregate them with ``max``). When the
    store does not answer, the scrape still succeeds, without these gauges and with
    ``etagere_metadata_store_up`` at 0.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> Iterable[Metric]:
        # Names only, for the registry's duplicate check, without a query.
        return [*_families(), _up(0)]

    def collect(self) -> Iterable[Metric]:
        try:
            with self.db.read() as conn:
                stats = store_stats(conn)
        except StoreUnavailable as exc:
            log.warning("metrics: metadata store unavailable", extra={"error": exc.message})
            return [_up(0)]
        return [*_families(stats), _up(1)]


def _families(stats: StoreStats | None = None) -> list[Metric]:
    jobs = GaugeMetricFamily("etagere_jobs", "Processing jobs by state.", labels=["state"])
    by_status = GaugeMetricFamily(
        "etagere_documents",
        "Documents by process status, over all libraries.",
        labels=["process_status"],
    )
    library_documents = GaugeMetricFamily(
        "etagere_library_documents", "Documents per library.", labels=["library_id"]
    )
    library_chunks = GaugeMetricFamily(
        "etagere_library_chunks", "Searchable chunks per library.", labels=["library_id"]
    )
    if stats is not None:
        for state in sorted({*JOB_STATES, *stats.jobs}):
            jobs.add_metric([state], stats.jobs.get(state, 0))
        totals: dict[str, int] = {}
        for library_id, counts in stats.documents.items():
            library_documents.add_metric([str(library_id)], sum(counts.values()))
            library_chunks.add_metric([str(library_id)], stats.chunks.get(library_id, 0))
            for status, count in counts.items():
                totals[status] = totals.get(status, 0) + count
        for status, count in sorted(totals.items()):
            by_status.add_metric([status], count)
    return [jobs, by_status, library_documents, library_chunks]


def _up(value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "etagere_metadata_store_up",
        "Whether the metadata store answered the last scrape's queries (1) or not (0).",
        value=value,
    )
