"""Run ``extract`` in a child process with a wall-clock timeout and a memory cap.

A hostile or pathological file can make a parser loop, balloon or crash; in a child process
that costs the child, not the worker. The child is a fresh interpreter
(``python -m etagere.ingestion.extraction.sandbox``) rather than a multiprocessing fork, so
it inherits no locks or threads from the worker, and it leads its own process group so that
a timeout also kills its grandchildren (Tesseract). Requests and results cross as JSON, not
pickle, so a subverted child cannot make the parent run code.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import ERROR_CLASSES, ExtractionError, ExtractionTimeout, ExtractionTooLarge
from .limits import ExtractionLimits
from .result import Extraction, PageSpan

_SRC_ROOT = Path(__file__).resolve().parents[3]


def extract_isolated(path: Path, *, filename: str | None, limits: ExtractionLimits) -> Extraction:
    """Like ``extract``, but in a child process killed after ``limits.timeout_seconds``."""
    request = json.dumps({"path": str(path), "filename": filename, "limits": asdict(limits)})
    child = subprocess.Popen(
        [sys.executable, "-m", __name__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_child_env(),
        start_new_session=True,
    )
    try:
        out, err = child.communicate(request.encode(), timeout=limits.timeout_seconds)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        raise ExtractionTimeout(
            f"Extraction took longer than {limits.timeout_seconds:g} s and was stopped"
        ) from None
    finally:
        if child.poll() is None:
            _kill_group(child)
    return _decode(child.returncode, out, err)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SRC_ROOT), env.get("PYTHONPATH")) if p)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate()


def _decode(returncode: int, out: bytes, err: bytes) -> Extraction:
    try:
        reply = json.loads(out.decode("utf-8")) if out else None
    except (UnicodeDecodeError, ValueError):
        reply = None
    if isinstance(reply, dict) and reply.get("ok") is True:
        return _extraction_from_json(reply["extraction"])
    if isinstance(reply, dict) and reply.get("ok") is False:
        error_class = ERROR_CLASSES.get(str(reply.get("code")), ExtractionError)
        raise error_class(str(reply.get("message")))
    detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {returncode}"]
    if returncode < 0:
        detail = [f"killed by signal {-returncode}"]
    raise ExtractionError(f"The extractor crashed on this document ({detail[0][:200]})")


def _extraction_from_json(data: dict[str, Any]) -> Extraction:
    return Extraction(
        markdown=data["markdown"],
        pages=tuple(PageSpan(**span) for span in data["pages"]),
        mime_type=data["mime_type"],
        ocr_used=data["ocr_used"],
        warnings=tuple(data["warnings"]),
    )


def _child_main() -> None:
    """Child side: cap memory, extract, write one JSON reply to the original stdout."""
    request = json.loads(sys.stdin.buffer.read())
    limits = ExtractionLimits(**request["limits"])
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    # Anything a library prints to fd 1 goes to stderr; the reply has its own descriptor.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    reply = _run(Path(request["path"]), request["filename"], limits)
    with os.fdopen(reply_fd, "w", encoding="utf-8") as stream:
        json.dump(reply, stream, ensure_ascii=False)


def _run(path: Path, filename: str | None, limits: ExtractionLimits) -> dict[str, Any]:
    try:
        from .engine import extract

        extraction = extract(path, filename=filename, limits=limits)
    except ExtractionError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    except MemoryError:
        error = ExtractionTooLarge(
            f"The document needs more than {limits.memory_bytes // 2**20} MiB of memory"
        )
        return {"ok": False, "code": error.code, "message": error.message}
    return {"ok": True, "extraction": asdict(extraction)}


if __name__ == "__main__":
    _child_main()
