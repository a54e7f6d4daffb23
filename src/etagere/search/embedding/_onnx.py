"""The one place that talks to onnxruntime, so its exceptions are translated once."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from etagere.search.embedding._protocol import EmbeddingError

BACKEND = "local"
#: The optimised copy's file names inside its cache folder.
OPTIMISED_MODEL = "model.onnx"
OPTIMISED_WEIGHTS = "weights.bin"

log = logging.getLogger(__name__)


class OnnxInput(Protocol):
    name: str


class OnnxSession(Protocol):
    """The part of ``onnxruntime.InferenceSession`` we use (it ships no type hints)."""

    def get_inputs(self) -> list[OnnxInput]: ...

    def run(self, output_names: None, feeds: dict[str, npt.NDArray[Any]]) -> list[Any]: ...


def _ort_errors() -> tuple[type[Exception], ...]:
    """onnxruntime's exception classes; they share no base class below Exception."""
    state = importlib.import_module("onnxruntime.capi.onnxruntime_pybind11_state")
    return tuple(
        value
        for value in vars(state).values()
        if isinstance(value, type) and issubclass(value, Exception)
    )


def _options(threads: int) -> Any:
    """CPU session options: full graph optimisation, ``threads`` intra-op threads.

    Inter-op parallelism stays at one thread: this graph is a single chain, and
    on a small machine extra threads only compete with the server.
    """
    ort: Any = importlib.import_module("onnxruntime")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def open_session(model: Path, *, threads: int) -> OnnxSession:
    """Create a CPU session over the ONNX file at ``model``."""
    # Imported by name: onnxruntime ships no type hints, the protocols above stand in.
    ort: Any = importlib.import_module("onnxruntime")
    try:
        session = ort.InferenceSession(
            str(model), sess_options=_options(threads), providers=["CPUExecutionProvider"]
        )
    except _ort_errors() as exc:
        raise EmbeddingError(f"cannot load ONNX model {model}: {exc}", backend=BACKEND) from exc
    return cast(OnnxSession, session)


def optimised_model(source: Path, digest: str, cache: Path) -> Path:
    """The graph-optimised copy of ``source`` under ``cache``, written once and then shared.

    Loading the bundled int8 model folds its dequantisation into float weights in every
    process's private memory (about 150 MB each). The optimised copy keeps those weights in a
    separate file that onnxruntime memory-maps, so processes on one data directory share the
    page cache instead. The folder is named after the source's digest and the onnxruntime
    version (an upgrade rewrites it) and appears by one rename, so a crash mid-write leaves
    no half copy. Extended optimisations only: they are the same on every CPU.
    """
    ort: Any = importlib.import_module("onnxruntime")
    folder = cache / f"{digest[:16]}-ort{ort.__version__}"
    if (folder / OPTIMISED_MODEL).is_file():
        return folder / OPTIMISED_MODEL
    cache.mkdir(parents=True, exist_ok=True)
    _remove_stale(cache, keep=folder)
    scratch = Path(tempfile.mkdtemp(prefix=".writing-", dir=cache))
    try:
        options = _options(threads=1)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = str(scratch / OPTIMISED_MODEL)
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", OPTIMISED_WEIGHTS
        )
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
        )
        ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
        for name in (OPTIMISED_MODEL, OPTIMISED_WEIGHTS):
            with open(scratch / name, "rb") as written:
                os.fsync(written.fileno())
        os.rename(scratch, folder)
    except OSError:
        if not (folder / OPTIMISED_MODEL).is_file():  # not merely a concurrent writer's win
            raise
    except _ort_errors() as exc:
        raise EmbeddingError(
            f"cannot optimise ONNX model {source}: {exc}", backend=BACKEND
        ) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log.info("optimised embedding model ready", extra={"path": str(folder)})
    return folder / OPTIMISED_MODEL


def _remove_stale(cache: Path, *, keep: Path) -> None:
    """Drop copies made by another onnxruntime version of the same model, and the scratch
    folders of writers that died an hour ago or more."""
    digest = keep.name.split("-ort")[0]
    for entry in cache.iterdir():
        if entry == keep:
            continue
        stale_copy = entry.name.startswith(f"{digest}-ort")
        try:
            dead_writer = entry.name.startswith(".writing-") and (
                time.time() - entry.stat().st_mtime > 3600
            )
        except OSError:  # removed meanwhile by another process
            continue
        if stale_copy or dead_writer:
            shutil.rmtree(entry, ignore_errors=True)


def run_session(
    session: OnnxSession, feeds: dict[str, npt.NDArray[np.int64]]
) -> npt.NDArray[np.float32]:
    """Run the model and return its first output (the last hidden state)."""
    try:
        outputs = session.run(None, feeds)
    except _ort_errors() as exc:
        raise EmbeddingError(f"ONNX inference failed: {exc}", backend=BACKEND) from exc
    return np.asarray(outputs[0], dtype=np.float32)
