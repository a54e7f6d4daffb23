"""What people see during and after an import: live bars on a terminal, then a summary table.

Bars go to stderr and only when it is a terminal (a script or a log file gets the summary
alone); the summary goes to stdout, or JSON with ``--json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from etagere.transfer.importer import FileResult
from etagere.transfer.remote import RemoteLibrary

OUTCOME_LABELS = {
    "uploaded": "uploaded",
    "exists": "already there",
    "would_upload": "would upload (dry run)",
    "refused": "refused",
    "failed": "failed",
    "not_sent": "not sent (interrupted)",
}
STATUS_LABELS = {
    "done": "done",
    "in_progress": "in progress",
    "todo": "queued",
    "error": "error",
    "missing_content": "no text",
    "deleted": "deleted meanwhile",
}
MAX_PROBLEM_ROWS = 50


class _Detail(ProgressColumn):
    """Counts after the bar: files with their outcomes, bytes with the rate."""

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            speed = f" · {decimal(int(task.speed))}/s" if task.speed else ""
            done = decimal(int(task.completed))
            return Text(f"{done} / {decimal(int(task.total or 0))}{speed}")
        return Text(str(task.fields.get("detail", "")))


class LiveProgress:
    """The ``ImportObserver`` of a terminal: files and bytes bars, then processing."""

    def __init__(self, console: Console) -> None:
        self.enabled = console.is_terminal
        self.progress = Progress(
            TextColumn("[bold]{task.description:<11}"),
            BarColumn(bar_width=36),
            TextColumn("{task.percentage:>3.0f}%"),
            _Detail(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            refresh_per_second=8,
        )
        self.outcomes: Counter[str] = Counter()
        self.files: TaskID | None = None
        self.bytes: TaskID | None = None
        self.processed: TaskID | None = None
        self.total_files = 0

    def __enter__(self) -> LiveProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def uploading(self, files: int, size: int) -> None:
        self.total_files = files
        self.files = self.progress.add_task("Files", total=files, detail=self._file_detail())
        self.bytes = self.progress.add_task("Bytes", total=size, unit="bytes")

    def sent(self, nbytes: int) -> None:
        if self.bytes is not None:
            self.progress.advance(self.bytes, nbytes)

    def finished(self, result: FileResult) -> None:
        self.outcomes[result.outcome] += 1
        if self.files is not None:
            self.progress.update(self.files, advance=1, detail=self._file_detail())

    def processing(self, settled: int, total: int, counts: Mapping[str, int]) -> None:
        detail = " · ".join(
            f"{STATUS_LABELS.get(status, status)} {n}" for status, n in sorted(counts.items())
        )
        if self.processed is None:
            self.processed = self.progress.add_task("Processing", total=total, detail=detail)
        self.progress.update(self.processed, completed=settled, total=total, detail=detail)

    def _file_detail(self) -> str:
        done = sum(self.outcomes.values())
        parts = [f"{done}/{self.total_files} files"] + [
            f"{OUTCOME_LABELS[o]} {n}" for o, n in sorted(self.outcomes.items())
        ]
        return " · ".join(parts)


def summary_json(
    library: RemoteLibrary | None, results: Sequence[FileResult], *, interrupted: bool
) -> dict[str, Any]:
    """The ``--json`` document: counts by outcome and by processing status, and every file."""
    return {
        "library": {"id": library.id, "name": library.name} if library else None,
        "interrupted": interrupted,
        "counts": dict(Counter(r.outcome for r in results)),
        "processing": dict(Counter(r.process_status for r in results if r.process_status)),
        "files": [r.as_json() for r in results],
    }


def print_summary(
    console: Console,
    library: RemoteLibrary | None,
    results: Sequence[FileResult],
    *,
    interrupted: bool,
    waited: bool,
) -> None:
    """The table people read at the end, and every file that needs their attention."""
    title = f"Import into {library.name!r} ({library.id})" if library else "Import (dry run)"
    table = Table(title=title, title_justify="left")
    table.add_column("Files")
    table.add_column("Count", justify="right")
    table.add_column("Size", justify="right")
    for outcome, label in OUTCOME_LABELS.items():
        chosen = [r for r in results if r.outcome == outcome]
        if chosen:
            table.add_row(label, str(len(chosen)), decimal(sum(r.source.size for r in chosen)))
    if waited:
        statuses = Counter(r.process_status for r in results if r.document_id)
        for status, n in sorted(statuses.items(), key=lambda kv: str(kv[0])):
            table.add_row(f"processing: {STATUS_LABELS.get(status or 'deleted')}", str(n), "")
    console.print(table)
    problems = [r for r in results if _problem(r)]
    if problems:
        rows = Table(title="Needs attention", title_justify="left")
        rows.add_column("File", overflow="fold")
        rows.add_column("What")
        rows.add_column("Reason", overflow="fold")
        for result in problems[:MAX_PROBLEM_ROWS]:
            what, reason = _problem(result) or ("", "")
            rows.add_row(result.source.label, what, reason)
        console.print(rows)
        if len(problems) > MAX_PROBLEM_ROWS:
            console.print(f"... and {len(problems) - MAX_PROBLEM_ROWS} more (see --json)")
    if interrupted:
        console.print("Interrupted: run the same command again to send what is missing.")


def _problem(result: FileResult) -> tuple[str, str] | None:
    if result.outcome in ("refused", "failed"):
        return result.outcome, result.reason or ""
    if result.process_status in ("error", "missing_content"):
        label = STATUS_LABELS[result.process_status]
        return f"processing: {label}", result.processing_reason or ""
    return None


def failed(results: Sequence[FileResult]) -> bool:
    """True when anything failed: a refused or failed upload, or a processing error."""
    return any(r.outcome in ("refused", "failed") or r.process_status == "error" for r in results)
