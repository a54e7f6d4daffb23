"""The one place that talks to onnxruntime, so its exceptions are translated once."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from etagere.search.embedding._protocol import EmbeddingError

BACKEND = "local"
#: The optimised copy's file names inside its cache folder.
OPTIMISED_MODEL = "model.onnx"
OPTIMISED_WEIGHTS = "weights.bin"
#: The int8 copy's folder: the optimised copy's name and this.
QUANTISED_SUFFIX = "-q8"

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


def optimised_model(source: Path, digest: str, cache: Path, *, quantised: bool = False) -> Path:
    """The graph-optimised copy of ``source`` under ``cache``, written once and then shared.

    Loading the bundled int8 model folds its dequantisation into float weights in every
    process's private memory (about 90 MB more each, measured against the copy). The
    optimised copy keeps those weights in a separate file that onnxruntime memory-maps, so
    processes on one data directory share the page cache instead. The folder is named after
    the source's digest and the onnxruntime version (an upgrade rewrites it) and appears by
    one rename, so a crash mid-write leaves no half copy. Extended optimisations only: they
    are the same on every CPU.

    ``quantised``: that copy again with int8 matrix products (``_quantise``), in a folder of
    its own.
    """
    ort: Any = importlib.import_module("onnxruntime")
    plain = cache / f"{digest[:16]}-ort{ort.__version__}"
    if not (plain / OPTIMISED_MODEL).is_file():
        _publish(plain, lambda scratch: _optimise(source, scratch))
    if not quantised:
        return plain / OPTIMISED_MODEL
    folder = plain.with_name(plain.name + QUANTISED_SUFFIX)
    if not (folder / OPTIMISED_MODEL).is_file():
        _publish(folder, lambda scratch: _quantise(plain / OPTIMISED_MODEL, scratch))
    return folder / OPTIMISED_MODEL


def _optimise(source: Path, scratch: Path) -> None:
    ort: Any = importlib.import_module("onnxruntime")
    options = _options(threads=1)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(scratch / OPTIMISED_MODEL)
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_file_name", OPTIMISED_WEIGHTS
    )
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
    )
    try:
        ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
    except _ort_errors() as exc:
        message = f"cannot optimise ONNX model {source}: {exc}"
        raise EmbeddingError(message, backend=BACKEND) from exc


def _quantise(optimised: Path, scratch: Path) -> None:
    """Dynamic int8 quantisation of the products of activations by weights, per channel.

    onnxruntime then multiplies int8 by int8 (weights quantised once, activations at each
    call): about twice the float copy's throughput (bench/ingest_cold.py), with vectors at
    cosine 0.995 to it and the same SciFact quality (README, Ingestion). The products between
    two activations (attention scores, 12 of them) stay in float: quantising them too cost
    0.05 of cosine.
    """
    try:
        onnx: Any = importlib.import_module("onnx")
        quantization: Any = importlib.import_module("onnxruntime.quantization")
    except ModuleNotFoundError as exc:
        raise EmbeddingError(
            "quantising needs the onnx package: pip install 'etagere[quantised]'",
            backend=BACKEND,
        ) from exc
    graph = onnx.load(str(optimised))
    weights = {initializer.name for initializer in graph.graph.initializer}
    between_activations = [
        node.name
        for node in graph.graph.node
        if node.op_type in ("MatMul", "FusedMatMul") and not weights.intersection(node.input)
    ]
    advice = _Silenced("Please consider to run pre-processing before quantization")
    logging.getLogger().addFilter(advice)  # the quantiser logs it on the root logger
    try:
        quantization.quantize_dynamic(
            optimised,
            scratch / OPTIMISED_MODEL,
            weight_type=quantization.QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=between_activations,
        )
    except (ValueError, RuntimeError) as exc:  # the quantiser's own checks
        raise EmbeddingError(f"cannot quantise {optimised}: {exc}", backend=BACKEND) from exc
    finally:
        logging.getLogger().removeFilter(advice)


class _Silenced(logging.Filter):
    """Drops one message: advice meant for image models, not an error."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


def _publish(folder: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` into a scratch folder beside ``folder``, fsync it, rename it into place."""
    cache = folder.parent
    cache.mkdir(parents=True, exist_ok=True)
    _remove_stale(cache, keep=folder)
    scratch = Path(tempfile.mkdtemp(prefix=".writing-", dir=cache))
    try:
        write(scratch)
        for written in scratch.iterdir():
            with open(written, "rb") as handle:
                os.fsync(handle.fileno())
        os.rename(scratch, folder)
    except OSError:
        if not (folder / OPTIMISED_MODEL).is_file():  # not merely a concurrent writer's win
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log.info("optimised embedding model ready", extra={"path": str(folder)})


def _remove_stale(cache: Path, *, keep: Path) -> None:
    """Drop copies of the same model made by another onnxruntime version, and the scratch
    folders of writers that died an hour ago or more."""
    digest, _, version = keep.name.partition("-ort")
    version = version.removesuffix(QUANTISED_SUFFIX)
    for entry in cache.iterdir():
        mine, _, other = entry.name.partition("-ort")
        stale_copy = mine == digest and other.removesuffix(QUANTISED_SUFFIX) != version
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
