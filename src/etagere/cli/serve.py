"""``etagere serve``: migrate, bootstrap on first start, then serve HTTP."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click
import uvicorn

from etagere.cli.options import build_settings, emit, store_options
from etagere.domain.identity import Bootstrap, IdentityService
from etagere.http.app import create_app
from etagere.http.state import Services
from etagere.logs import configure_logging
from etagere.settings import Settings
from etagere.storage.metadata import Database

log = logging.getLogger("etagere.serve")

KEY_FILE = "initial-api-key"


@click.command()
@click.option("--host", default=None, help="Listen address (env ETAGERE_HOST; default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Listen port (env ETAGERE_PORT; default 8000)")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default=None,
    help="Minimum log level (env ETAGERE_LOG_LEVEL; default info).",
)
@store_options
def serve(as_json: bool, **flags: Any) -> None:
    """Serve the API (and, from the documents feature on, in-process workers)."""
    settings = build_settings(**flags)
    configure_logging(settings.log_level)
    db = open_database(settings)
    seed = settings.api_key.get_secret_value() if settings.api_key else None
    created = IdentityService(db).bootstrap(seed)
    if created is not None:
        announce_bootstrap(settings, created, seed_given=seed is not None, as_json=as_json)
    log.info("listening", extra={"host": settings.host, "port": settings.port})
    app = create_app(Services.build(db))
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)


def open_database(settings: Settings) -> Database:
    """Connect to the metadata store and bring its schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    db.migrate()
    return db


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
