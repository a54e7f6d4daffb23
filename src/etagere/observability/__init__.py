"""Operations: Prometheus metrics of one process (HTTP, processing, embedder, store gauges)."""

from etagere.observability.metrics import (
    DOCUMENT_OUTCOMES,
    PROCESSING_STEPS,
    Metrics,
    StoreCollector,
    TimedEmbedder,
)

__all__ = ["DOCUMENT_OUTCOMES", "PROCESSING_STEPS", "Metrics", "StoreCollector", "TimedEmbedder"]
