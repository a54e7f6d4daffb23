"""``etagere serve`` and ``etagere worker``: the two kinds of long-running process."""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import uvicorn
from prometheus_client import start_http_server

from etagere.cli.options import build_settings, emit, store_options
from etagere.console import with_console
from etagere.domain.identity import Bootstrap
from etagere.http.app import create_app
from etagere.logs import configure_logging
from etagere.runtime import Runtime
from etagere.settings import Settings

log = logging.getLogger("etagere.serve")

KEY_FILE = "initial-api-key"

log_level_option = click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="Minimum log level (env ETAGERE_LOG_LEVEL; default info).",
)
workers_option = click.option(
    "--workers", type=int, default=None, help="Processing workers (env ETAGERE_WORKERS)."
)


@click.command()
@click.option("--host", default=None, help="Listen address (env ETAGERE_HOST; default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Listen port (env ETAGERE_PORT; default 8000)")
@workers_option
@log_level_option
@store_options
def serve(as_json: bool, **flags: Any) -> None:
    """Serve the API, with processing workers in the same process."""
    settings = build_settings(**flags)
    configure_logging(settings.log_level, settings.log_format)
    runtime = Runtime.open(settings)
    seed = settings.api_key.get_secret_value() if settings.api_key else None
    created = runtime.services.identity.bootstrap(seed)
    if created is not None:
        announce_bootstrap(settings, created, seed_given=seed is not None, as_json=as_json)
    runtime.start(settings.workers)
    runtime.warm_search()
    config = uvicorn.Config(
        with_console(create_app(runtime.services), runtime.services),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
    server = AnnouncingServer(
        config, lambda port: announce_listening(settings, port, as_json=as_json)
    )
    try:
        server.run()
    finally:
        runtime.stop()


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says where it listens once the socket is really bound."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[int], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit and self.servers:
            port = int(self.servers[0].sockets[0].getsockname()[1])
            self._announce(port)


def announce_listening(settings: Settings, port: int, *, as_json: bool) -> None:
    """One line for the person who started the server: the URL, the key, the docs."""
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    key_file = settings.data_dir / KEY_FILE
    if settings.api_key is not None:
        key = "the API key is the one in ETAGERE_API_KEY"
    elif key_file.exists():
        key = f"the first API key is in {key_file}"
    else:
        key = "create API keys with `etagere admin create-key`"
    log.info("listening", extra={"host": settings.host, "port": port, "url": url})
    emit(
        as_json,
        {"event": "listening", "url": url, "docs": f"{url}/docs", "api_key_file": str(key_file)},
        f"etagere is listening on {url} ({key}; API docs at {url}/docs)",
    )


@click.command()
@workers_option
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve Prometheus metrics on this port, on --host's address (env ETAGERE_METRICS_PORT).",
)
@click.option(
    "--host", default=None, help="Address of the metrics port (env ETAGERE_HOST; 127.0.0.1)."
)
@log_level_option
@store_options
def worker(as_json: bool, **flags: Any) -> None:
    """Process documents (no HTTP API); run as many as the machine allows."""
    settings = build_settings(**flags)
    configure_logging(settings.log_level, settings.log_format)
    runtime = Runtime.open(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: runtime.stop_event.set())
    runtime.start(max(settings.workers, 1), sweeper=False)
    metrics_port = serve_worker_metrics(runtime)
    emit(
        as_json,
        {"workers": max(settings.workers, 1), "metrics_port": metrics_port},
        "etagere worker running"
        + (f", metrics on port {metrics_port}" if metrics_port is not None else ""),
    )
    runtime.stop_event.wait()
    runtime.stop()


def serve_worker_metrics(runtime: Runtime) -> int | None:
    """Serve the worker's metrics on ``metrics_port`` (a daemon thread); the port, or None."""
    settings = runtime.services.settings
    if settings.metrics_port is None:
        return None
    if not settings.metrics:
        log.warning("metrics are disabled (ETAGERE_METRICS=false): metrics port not opened")
        return None
    server, _thread = start_http_server(
        settings.metrics_port, addr=settings.host, registry=runtime.services.metrics.registry
    )
    port = int(server.server_port)
    log.info("serving metrics", extra={"host": settings.host, "port": port})
    return port


def announce_bootstrap(
    settings: Settings, created: Bootstrap, *, seed_given: bool, as_json: bool
) -> None:
    """Tell the operator about the first key, and keep it in a private file unless it was seeded."""
    key_file: Path | None = None
    if not seed_given:
        key_file = settings.data_dir / KEY_FILE
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(created.issued.secret + "\n")
    data = {
        "organization": created.organization.name,
        "workspace": created.workspace.name,
        "user": created.user.email,
        "api_key": None if seed_given else created.issued.secret,
        "api_key_file": str(key_file) if key_file else None,
    }
    where = f"saved in {key_file}" if key_file else "taken from ETAGERE_API_KEY"
    text = (
        f"etagere first start: created organization {created.organization.name!r}, "
        f"workspace {created.workspace.name!r} and user {created.user.email!r}.\n"
        + (
            f"API key (shown once, {where}):\n\n    {created.issued.secret}\n"
            if not seed_given
            else f"API key {where}.\n"
        )
    )
    emit(as_json, data, text)
