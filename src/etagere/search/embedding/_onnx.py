"""The one place that talks to onnxruntime, so its exceptions are translated once."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from etagere.search.embedding._protocol import EmbeddingError

BACKEND = "local"


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


def open_session(model: bytes, *, source: Path, threads: int) -> OnnxSession:
    """Create a CPU session with full graph optimisation and ``threads`` intra-op threads.

    Inter-op parallelism stays at one thread: this graph is a single chain, and
    on a small machine extra threads only compete with the server.
    """
    # Imported by name: onnxruntime ships no type hints, the protocols above stand in.
    ort: Any = importlib.import_module("onnxruntime")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except _ort_errors() as exc:
        raise EmbeddingError(f"cannot load ONNX model {source}: {exc}", backend=BACKEND) from exc
    return cast(OnnxSession, session)


def run_session(
    session: OnnxSession, feeds: dict[str, npt.NDArray[np.int64]]
) -> npt.NDArray[np.float32]:
    """Run the model and return its first output (the last hidden state)."""
    try:
        outputs = session.run(None, feeds)
    except _ort_errors() as exc:
        raise EmbeddingError(f"ONNX inference failed: {exc}", backend=BACKEND) from exc
    return np.asarray(outputs[0], dtype=np.float32)
