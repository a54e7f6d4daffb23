"""``etagere mcp``: the MCP server over stdio, for clients that start it as a subprocess.

It opens the store directly (``--data-dir`` or ``--database-url``, as ``serve`` does) rather than
talking to a running server, so it needs nothing else running: tools call the domain services
as the user of ``ETAGERE_API_KEY``. The key is checked at start and again at every call, so
revoking it takes effect at once. Processing workers run inside (``--workers``, default
``ETAGERE_WORKERS``), so text uploaded through ``upload_text`` becomes searchable even when no
``serve`` is running; with one running on the same store, both share the job queue.

With ``--server-url`` it opens no store at all: it bridges stdio to that running server's
``/mcp`` endpoint over HTTP with the API key (``--api-key``, ``ETAGERE_API_KEY``, or the
first-start key file), for a remote or scaled-out etagere (see ``agents.mcp_bridge``).

stdout carries the protocol: logs go to stderr, and nothing else is printed.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import anyio
import click

from etagere.agents.mcp_bridge import run_bridge
from etagere.agents.mcp_server import build_mcp_server
from etagere.cli.options import build_settings, store_options
from etagere.cli.serve import log_level_option, workers_option
from etagere.core.errors import Unauthenticated
from etagere.core.model import Caller
from etagere.logs import configure_logging
from etagere.runtime import Runtime
from etagere.transfer.connection import ConnectionProblem, resolve_connection

log = logging.getLogger("etagere.mcp")


@click.command("mcp")
@click.option(
    "--server-url",
    default=None,
    help="Bridge to this running etagere's /mcp over HTTP instead of opening the store.",
)
@click.option("--api-key", default=None, help="API key for --server-url (env ETAGERE_API_KEY).")
@workers_option
@log_level_option
@store_options
def mcp(as_json: bool, server_url: str | None, api_key: str | None, **flags: Any) -> None:
    """Serve MCP over stdio as the user of ETAGERE_API_KEY (no running server needed)."""
    if server_url is not None:
        bridge(server_url, api_key, flags)
        return
    settings = build_settings(**flags)
    configure_logging(settings.log_level, settings.log_format)
    if settings.api_key is None:
        raise click.UsageError("set ETAGERE_API_KEY to the API key the MCP server acts with")
    key = settings.api_key.get_secret_value()
    runtime = Runtime.open(settings)
    identity = runtime.services.identity
    if identity.bootstrap(key) is not None:
        log.info("empty store: created the default organization, workspace and user for this key")
    try:
        identity.authenticate(key)
    except Unauthenticated as exc:
        runtime.stop()
        click.echo(f"etagere mcp: {exc.message}", err=True)
        sys.exit(2)

    def resolve_caller(_request: object | None) -> Caller:
        return identity.authenticate(key)

    runtime.start(settings.workers)
    runtime.warm_search()
    try:
        build_mcp_server(runtime.services, resolve_caller).run("stdio")
    finally:
        runtime.stop()


def bridge(server_url: str, api_key: str | None, flags: dict[str, Any]) -> None:
    """``--server-url``: forward stdio to a running server, opening no store."""
    settings = build_settings(data_dir=flags.get("data_dir"), log_level=flags.get("log_level"))
    configure_logging(settings.log_level)
    try:
        connection = resolve_connection(server_url, api_key, settings)
    except ConnectionProblem as exc:
        raise click.UsageError(str(exc)) from exc
    anyio.run(run_bridge, connection.server_url, connection.api_key)
