"""A pool of long-lived sandboxed extraction processes, so no document pays an interpreter start.

``extract_isolated`` is what a worker calls on untrusted uploads. Each child runs
``sandbox.py``: its own session (a timeout kills its process group,
Tesseract included), an address-space cap set once at start as both soft and hard limit (a
subverted child cannot raise it), JSON lines in and out. A child serves one request at a time and
goes back to the pool only after a clean success; a timeout, a crash or any failed extraction
retires it (a hostile file costs a fresh interpreter, a good one does not), and so does age
(``max_uses``), so a parser leak cannot grow for ever. A reused child that dies mid-request
may have died of something else (killed while idle): the document is retried once in a fresh
child, so only a document that crashes a fresh interpreter is reported as crashing it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from .errors import ERROR_CLASSES, ExtractionError, ExtractionTimeout
from .limits import ExtractionLimits
from .result import Extraction, PageSpan

_SRC_ROOT = Path(__file__).resolve().parents[3]
_CHILD_MODULE = "etagere.ingestion.extraction.sandbox"  # runs as __main__ only
_READ_SIZE = 1 << 16


class _Timeout(Exception):
    """The child did not answer within the request's time limit."""


class _Child:
    """One sandbox process and the pipe protocol to it (one JSON line each way)."""

    def __init__(self, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.served = 0
        # Lives as long as the child (closed in stop), so no context manager.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._pending = bytearray()
        self.process = subprocess.Popen(
            [sys.executable, "-m", _CHILD_MODULE, str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=_child_env(),
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, request: bytes, timeout: float) -> bytes | None:
        """Send one request line and read one reply line; None when the child died."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(request + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while (end := self._pending.find(b"\n")) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                data = os.read(fd, _READ_SIZE)
                if not data:
                    return None
                self._pending += data
        line = bytes(self._pending[:end])
        del self._pending[: end + 1]
        self.served += 1
        return line

    def stop(self) -> str:
        """Kill the child's process group; return the last line it wrote to stderr."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        self._stderr.close()
        if self.process.returncode < 0 and self.process.returncode != -signal.SIGKILL:
            return f"killed by signal {-self.process.returncode}"
        return lines[-1] if lines else f"exit {self.process.returncode}"


class SandboxPool:
    """Idle sandbox children ready to extract; as many run at once as callers ask for."""

    def __init__(self, *, max_idle: int = 4, max_uses: int = 200) -> None:
        self.max_idle = max_idle
        self.max_uses = max_uses
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def extract(self, path: Path, *, filename: str | None, limits: ExtractionLimits) -> Extraction:
        """Like ``extract``, in a pooled child killed after ``limits.timeout_seconds``."""
        request = json.dumps({"path": str(path), "filename": filename, "limits": asdict(limits)})
        child = self._checkout(limits.memory_bytes)
        if child.served:
            reply = self._ask(child, request, limits, crashed=None)
            if reply is not None:
                return _decode(reply)
            child = _Child(limits.memory_bytes)
        reply = self._ask(child, request, limits, crashed=ExtractionError)
        assert reply is not None
        return _decode(reply)

    def _ask(
        self,
        child: _Child,
        request: str,
        limits: ExtractionLimits,
        crashed: type[ExtractionError] | None,
    ) -> dict[str, Any] | None:
        """One request to ``child``; a crash raises ``crashed``, or gives None when that is None."""
        reusable = False
        try:
            try:
                line = child.ask(request.encode(), limits.timeout_seconds)
            except _Timeout:
                raise ExtractionTimeout(
                    f"Extraction took longer than {limits.timeout_seconds:g} s and was stopped"
                ) from None
            if line is None:
                detail = child.stop()
                if crashed is None:
                    return None
                raise crashed(f"The extractor crashed on this document ({detail[:200]})")
            reply = _parse(line)
            reusable = reply.get("ok") is True
            return reply
        finally:
            self._return(child, reusable)

    def idle_pids(self) -> list[int]:
        """Process ids of the children waiting for work (tests look at reuse through this)."""
        with self._lock:
            return [child.pid for child in self._idle]

    def close(self) -> None:
        """Stop every idle child (busy ones are stopped when their request ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.stop()

    def _checkout(self, memory_bytes: int) -> _Child:
        """An idle child with this memory cap that is still alive, or a new one."""
        with self._lock:
            dead = [child for child in self._idle if child.process.poll() is not None]
            self._idle = [child for child in self._idle if child not in dead]
            chosen = next((c for c in self._idle if c.memory_bytes == memory_bytes), None)
            if chosen is not None:
                self._idle.remove(chosen)
        for child in dead:  # died while idle (killed from outside): never hand it a document
            child.stop()
        return chosen or _Child(memory_bytes)

    def _return(self, child: _Child, reusable: bool) -> None:
        if reusable and child.served < self.max_uses and child.process.poll() is None:
            with self._lock:
                if len(self._idle) < self.max_idle:
                    self._idle.append(child)
                    return
        if child.process.returncode is None:
            child.stop()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SRC_ROOT), env.get("PYTHONPATH")) if p)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _parse(line: bytes) -> dict[str, Any]:
    try:
        reply = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        reply = None
    if not isinstance(reply, dict):
        raise ExtractionError("The extractor crashed on this document (unreadable reply)")
    return reply


def _decode(reply: dict[str, Any]) -> Extraction:
    if reply.get("ok") is True:
        data = reply["extraction"]
        return Extraction(
            markdown=data["markdown"],
            pages=tuple(PageSpan(**span) for span in data["pages"]),
            mime_type=data["mime_type"],
            ocr_used=data["ocr_used"],
            warnings=tuple(data["warnings"]),
        )
    error_class = ERROR_CLASSES.get(str(reply.get("code")), ExtractionError)
    raise error_class(str(reply.get("message")))


#: The process-wide pool behind ``extract_isolated``.
DEFAULT_POOL = SandboxPool()
atexit.register(DEFAULT_POOL.close)


def extract_isolated(path: Path, *, filename: str | None, limits: ExtractionLimits) -> Extraction:
    """Like ``extract``, but in a pooled sandbox child killed after ``limits.timeout_seconds``."""
    return DEFAULT_POOL.extract(path, filename=filename, limits=limits)
