"""The child side of sandboxed extraction: ``python -m etagere.ingestion.extraction.sandbox MEM``.

A hostile or pathological file can make a parser loop, balloon or crash; in a child process
that costs the child, not the worker. The child is a fresh interpreter rather than a
multiprocessing fork, so it inherits no locks or threads from the worker; the parent
(``pool.py``) starts it in its own process group, so that a timeout also kills its grandchildren
(Tesseract), and keeps it warm for the next document. Requests and results cross as JSON lines,
not pickle, so a subverted child cannot make the parent run code. The package does not import
this module: it runs only as ``__main__`` in the child.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import ExtractionError, ExtractionTooLarge
from .limits import ExtractionLimits


def _child_main(memory_bytes: int) -> None:
    """Child side: cap memory for good, then answer one JSON line per request line."""
    # Soft and hard limit alike: code running in here cannot raise its own cap again.
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Anything a library prints to fd 1 goes to stderr; the replies have their own descriptor.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    from . import engine  # noqa: F401  (imported once, before the first document)

    with os.fdopen(reply_fd, "w", encoding="utf-8") as replies:
        for line in sys.stdin.buffer:
            request = json.loads(line)
            limits = ExtractionLimits(**request["limits"])
            reply = _run(Path(request["path"]), request["filename"], limits)
            replies.write(json.dumps(reply, ensure_ascii=False) + "\n")
            replies.flush()


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
    _child_main(int(sys.argv[1]))
