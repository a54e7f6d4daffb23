"""Restart time and memory of a persisted index: a new process opens it and searches.

``restart(kind, directory, queries)`` starts a fresh interpreter (``python search_restart.py``)
that opens what the system persisted in ``directory``, answers the first query (timed from the
moment the process was spawned: interpreter, imports, opening, first answer), then every other
query, and reports its memory: resident (RSS) and private (pages no other process mapping the
same files shares: what a second process on the same data adds).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def restart(kind: str, directory: Path, texts: list[str], vectors: np.ndarray) -> dict[str, float]:
    """Seconds to the first answer in a new process, and its RSS and private MB after all."""
    with tempfile.TemporaryDirectory(prefix="etagere-bench-restart-") as scratch:
        queries = Path(scratch) / "queries.npz"
        np.savez(queries, vectors=vectors, texts=np.array(texts, dtype=object))
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(HERE / "search_restart.py"), kind, str(directory), str(queries)],
            stdout=subprocess.PIPE,
            text=True,
        )
        first = process.stdout.readline() if process.stdout else ""
        seconds = time.perf_counter() - started
        out, _ = process.communicate(timeout=3600)
    if not first.startswith("answered"):
        raise RuntimeError(f"{kind} restart failed: {first}{out}")
    report: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return {"seconds": seconds, **report}


def memory_mb() -> dict[str, float]:
    """RSS and private memory of this process, MB (from /proc/self/smaps_rollup)."""
    fields: dict[str, float] = {}
    with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0].rstrip(":")] = int(parts[1]) / 1024
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {"rss_mb": fields.get("Rss", float("nan")), "private_mb": private}


def _open(kind: str, directory: Path) -> Any:
    """A function (text, vector) -> ids over what ``kind`` persisted in ``directory``."""
    if kind == "etagere":
        from search_systems import Etagere

        return Etagere.reopen(directory).hybrid
    if kind == "lancedb":
        from search_systems import LanceDB

        return LanceDB.reopen(directory).hybrid
    from search_systems import Chroma

    return Chroma.reopen(directory).vector


def main() -> None:
    kind, directory, queries_file = sys.argv[1:4]
    sys.path.insert(0, str(HERE))
    search = _open(kind, Path(directory))
    queries = np.load(queries_file, allow_pickle=True)
    texts, vectors = list(queries["texts"]), queries["vectors"]
    search(str(texts[0]), vectors[0])
    print("answered", flush=True)
    for text, vector in zip(texts, vectors, strict=True):
        search(str(text), vector)
    print(json.dumps(memory_mb()), flush=True)


if __name__ == "__main__":
    main()
