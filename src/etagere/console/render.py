"""Rendering pages: one Jinja2 environment (autoescaping on), filters for sizes and dates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from etagere.console.assets import Asset
from etagere.console.text import excerpt, highlight, render_markdown

TEMPLATES = Path(__file__).parent / "templates"


def build_environment(assets: dict[str, Asset]) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = lambda name: assets[name].url
    env.globals["status_labels"] = STATUS_LABELS
    env.filters["size"] = human_size
    env.filters["when"] = when
    env.filters["markdown"] = render_markdown
    env.filters["highlight"] = highlight
    env.filters["excerpt"] = excerpt
    return env


# What a person reads for each ``process_status``.
STATUS_LABELS = {
    "todo": "queued",
    "in_progress": "processing",
    "done": "done",
    "error": "error",
    "missing_content": "no text found",
}

# Messages named by ``?notice=`` after a redirect: fixed text, never text taken from the URL.
NOTICES = {
    "created": "Library created.",
    "saved": "Saved.",
    "deleted": "Library deleted.",
    "shared": "Access granted.",
    "revoked": "Access revoked.",
    "key_revoked": "Key revoked.",
    "document_deleted": "Document deleted.",
    "reprocessing": "The document is queued for processing again.",
}


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A full page (or fragment) rendered for the signed-in browser, if any."""
    env: Environment = request.app.state.templates
    session = getattr(request.state, "session", None)
    html = env.get_template(template).render(
        request=request,
        session=session,
        csrf=session.csrf_token if session is not None else "",
        notice=NOTICES.get(request.query_params.get("notice", "")),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def when(moment: datetime | None) -> str:
    """UTC timestamps, to the minute: readable, and the same for every viewer."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"
