"""A plain numpy forward pass of BERT, the fp32 reference for the int8 ONNX model.

Written from the BERT architecture (post-norm encoder, exact GELU), reading the
original all-MiniLM-L6-v2 weights as numpy arrays, so no PyTorch is needed.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]
_erf = np.frompyfunc(math.erf, 1, 1)


def _layer_norm(x: Array, weight: Array, bias: Array, eps: float = 1e-12) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed: Array = (x - mean) / np.sqrt(var + eps) * weight + bias
    return normed


def _gelu(x: Array) -> Array:
    erf = _erf(x / math.sqrt(2.0)).astype(np.float64)
    activated: Array = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return activated


def _dense(w: Mapping[str, Array], name: str, x: Array) -> Array:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _attention(w: Mapping[str, Array], prefix: str, x: Array, heads: int) -> Array:
    seq, width = x.shape
    size = width // heads

    def split(t: Array) -> Array:
        return t.reshape(seq, heads, size).transpose(1, 0, 2)

    q = split(_dense(w, f"{prefix}.self.query", x))
    k = split(_dense(w, f"{prefix}.self.key", x))
    v = split(_dense(w, f"{prefix}.self.value", x))
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = scores / scores.sum(axis=-1, keepdims=True)
    context = (probs @ v).transpose(1, 0, 2).reshape(seq, width)
    out = _dense(w, f"{prefix}.output.dense", context)
    return _layer_norm(
        out + x, w[f"{prefix}.output.LayerNorm.weight"], w[f"{prefix}.output.LayerNorm.bias"]
    )


def sentence_embedding(
    w: Mapping[str, Array], ids: list[int], *, layers: int = 6, heads: int = 12
) -> Array:
    """Mean-pooled, L2-normalised embedding of one unpadded token sequence."""
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][: len(ids)]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    for i in range(layers):
        p = f"encoder.layer.{i}"
        x = _attention(w, f"{p}.attention", x, heads)
        hidden = _gelu(_dense(w, f"{p}.intermediate.dense", x))
        out = _dense(w, f"{p}.output.dense", hidden)
        x = _layer_norm(out + x, w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
    pooled = x.mean(axis=0)
    embedding: Array = (pooled / np.linalg.norm(pooled)).astype(np.float32)
    return embedding


_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def load_safetensors(path: Path) -> dict[str, Array]:
    """The tensors of a ``.safetensors`` file, read with numpy alone.

    The format is an 8-byte little-endian header length, a JSON header mapping each name to
    its dtype, shape and byte offsets, then the raw little-endian data.
    """
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = memoryview(raw)[8 + length :]
    tensors: dict[str, Array] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=_SAFETENSORS_DTYPES[spec["dtype"]])
        tensors[name] = array.reshape(spec["shape"]).astype(np.float32)
    return tensors
