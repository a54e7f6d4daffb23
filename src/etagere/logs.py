"""Logs on stderr: one JSON object per line, or readable lines for a person at a terminal.

Both formats keep any ``extra`` fields. Lines logged while a request is served carry its
``request_id`` (set by the HTTP layer in ``current_request_id``), whichever module logs them.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is kept.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

# The id of the request being served in this context (None outside requests).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    """The record's ``extra`` fields, with the current request's id."""
    fields: dict[str, object] = {}
    request_id = current_request_id.get()
    if request_id is not None:
        fields["request_id"] = request_id
    fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
    return fields


class JsonFormatter(logging.Formatter):
    """Formats a record as ``{"ts", "level", "logger", "msg", ...extra}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """Formats a record as ``12:04:05 WARNING etagere.worker  document failed  name=a.pdf``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{when} {record.levelname:<7} {record.name}  {record.getMessage()}"
        if fields:
            line += f"  {fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str, log_format: str = "auto") -> None:
    """Route etagere's and uvicorn's logs to stderr at ``level``: readable lines when
    ``log_format`` is ``console`` (or ``auto`` at a terminal), JSON lines otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    handler.setFormatter(ConsoleFormatter() if console else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
