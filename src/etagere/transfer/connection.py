"""Where the running server is and which key to send: flags, then environment, then defaults.

Defaults fit the embedded quick start: the server ``serve`` would listen on
(``ETAGERE_HOST``/``ETAGERE_PORT``) and the key it saved on first start in
``DATA_DIR/initial-api-key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

import etagere
from etagere.settings import Settings

KEY_FILE = "initial-api-key"
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class ConnectionProblem(Exception):
    """The server or its key cannot be found; the message says what to set."""


@dataclass(frozen=True)
class Connection:
    server_url: str
    api_key: str

    def client(self, *, max_connections: int = 10) -> httpx.Client:
        """An authenticated HTTP client on the server, with a pool sized for the concurrency."""
        return httpx.Client(
            base_url=self.server_url,
            headers={
                "Authorization": f"Bearer {self.api_key}",
                "User-Agent": f"etagere-cli/{etagere.__version__}",
            },
            timeout=TIMEOUT,
            limits=httpx.Limits(max_connections=max_connections),
        )


def resolve_connection(
    server_url: str | None, api_key: str | None, settings: Settings
) -> Connection:
    """The connection to use, from the flags given (``None``: not given) and the settings."""
    url = server_url or settings.server_url or _local_url(settings)
    key = api_key or (settings.api_key.get_secret_value() if settings.api_key else None)
    if key is None:
        key_file = settings.data_dir / KEY_FILE
        key = _read_key_file(key_file)
        if key is None:
            raise ConnectionProblem(
                f"no API key: pass --api-key, set ETAGERE_API_KEY, or run from the directory "
                f"holding {key_file} (written by the server's first start)"
            )
    return Connection(server_url=url.rstrip("/"), api_key=key)


def _local_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def _read_key_file(path: Path) -> str | None:
    try:
        key = path.read_text().strip()
    except OSError:
        return None
    return key or None
