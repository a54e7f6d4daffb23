"""``etagere mcp``: the MCP server over stdio, for clients that start it as a subprocess.

It opens the store directly (``--data-dir`` or ``--database-url``, as ``serve`` does) rather than
talking to a running server, so it needs nothing else running: tools call the domain services
as the user of ``ETAGERE_API_KEY``. The key is checked at start and again at every call, so
revoking it takes effect at once. Processing workers run inside (``--workers``, default
``ETAGERE_WORKERS``), so text uploaded through ``upload_text`` becomes searchable even when no
``serve`` is running; with one running on the same store, both share the job queue.

stdout carries the protocol: logs go to stderr, and nothing else is printed.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from etagere.agents.mcp_server import build_mcp_server
from etagere.cli.options import build_settings, store_options
from etagere.cli.serve import log_level_option, workers_option
from etagere.core.errors import Unauthenticated
from etagere.core.model import Caller
from etagere.logs import configure_logging
from etagere.runtime import Runtime

log = logging.getLogger("etagere.mcp")


@click.command("mcp")
@workers_option
@log_level_option
@store_options
def mcp(as_json: bool, **flags: Any) -> None:
    """Serve MCP over stdio as the user of ETAGERE_API_KEY (no running server needed)."""
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
