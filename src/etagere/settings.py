"""One typed settings object, filled from CLI flags and ``ETAGERE_*`` environment variables.

Flags win over the environment, the environment wins over defaults. Every field is documented
here because the README's settings table is generated from (and checked against) this class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `serve` listens on.")
    api_key: SecretStr | None = Field(
        default=None,
        description="Seeds the API key created on first start (otherwise a random one is made).",
    )
    log_level: LogLevel = Field(default="info", description="Minimum level of log lines.")

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
