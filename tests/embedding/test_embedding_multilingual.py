"""The offline multilingual model, run for real: meaning within and across languages."""

from __future__ import annotations

import numpy as np
import pytest

from etagere.search.embedding import (
    Embedder,
    LocalOnnxEmbedder,
    MultilingualEmbedder,
    create_embedder,
)

# Passages on three subjects, in three languages; no query below shares a word with its match.
PASSAGES = {
    "bread.fr": "Le boulanger pétrit la pâte avant l'aube et sort les baguettes du four.",
    "tax.fr": "La déclaration de revenus doit être envoyée aux impôts avant la fin du mois de mai.",
    "storm.fr": "Une violente tempête a arraché des toitures et coupé l'électricité.",
    "bread.de": "Der Bäcker knetet den Teig vor Sonnenaufgang und holt die Brötchen aus dem Ofen.",
    "tax.de": "Die Einkommensteuererklärung muss bis Ende Mai beim Finanzamt eingereicht werden.",
    "storm.es": "Una fuerte tormenta arrancó tejados y dejó sin luz a miles de hogares.",
}


@pytest.fixture(scope="module")
def multilingual() -> MultilingualEmbedder:
    return MultilingualEmbedder()


def _best(embedder: Embedder, query: str, names: list[str]) -> str:
    matrix = embedder.embed_documents([PASSAGES[n] for n in names])
    return names[int(np.argmax(matrix @ embedder.embed_query(query)))]


def test_satisfies_protocol(multilingual: MultilingualEmbedder) -> None:
    assert isinstance(multilingual, Embedder)
    assert multilingual.dimension == 512
    assert multilingual.model_name == "universal-sentence-encoder-multilingual-3-q6"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Quand faut-il payer ses impôts sur le revenu ?", "tax.fr"),  # French, other words
        ("Fresh loaves come out of the oven early in the morning", "bread.fr"),  # English
        ("Unwetter mit beschädigten Dächern und Stromausfall", "storm.fr"),  # German
    ],
)
def test_finds_french_passages_by_meaning(
    multilingual: MultilingualEmbedder, query: str, expected: str
) -> None:
    assert _best(multilingual, query, ["bread.fr", "tax.fr", "storm.fr"]) == expected


def test_same_subject_across_languages(multilingual: MultilingualEmbedder) -> None:
    names = ["bread.de", "tax.de", "storm.es"]
    assert _best(multilingual, PASSAGES["tax.fr"], names) == "tax.de"
    assert _best(multilingual, PASSAGES["storm.fr"], names) == "storm.es"


def test_does_better_than_the_english_model_across_languages(
    multilingual: MultilingualEmbedder, local_embedder: LocalOnnxEmbedder
) -> None:
    """Why it is offered: English queries over French passages, where MiniLM sees only
    unknown word pieces."""
    queries = {
        "When must the income tax return be filed?": "tax.fr",
        "A violent storm tore off roofs and cut the power": "storm.fr",
        "The baker kneads dough before dawn": "bread.fr",
    }
    names = ["bread.fr", "tax.fr", "storm.fr"]

    def margin(embedder: Embedder) -> float:
        matrix = embedder.embed_documents([PASSAGES[n] for n in names])
        total = 0.0
        for query, expected in queries.items():
            scores = matrix @ embedder.embed_query(query)
            right = scores[names.index(expected)]
            others = [s for n, s in zip(names, scores, strict=True) if n != expected]
            total += float(right - max(others))
        return total / len(queries)

    assert margin(multilingual) > margin(local_embedder) + 0.05


def test_shape_dtype_unit_norm_and_empty_input(multilingual: MultilingualEmbedder) -> None:
    texts = ["un", "deux mots", "", "ünïcödé et emoji 🙂", "mot " * 2000]
    matrix = multilingual.embed_documents(texts)
    assert matrix.shape == (len(texts), 512)
    assert matrix.dtype == np.float32
    assert np.all(np.isfinite(matrix))
    np.testing.assert_allclose(np.linalg.norm(matrix[[0, 1, 3, 4]], axis=1), 1.0, atol=1e-4)
    assert multilingual.embed_documents([]).shape == (0, 512)


def test_batching_does_not_change_vectors(multilingual: MultilingualEmbedder) -> None:
    texts = list(PASSAGES.values())
    together = multilingual.embed_documents(texts)
    alone = np.stack([multilingual.embed_query(t) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_factory_builds_it() -> None:
    assert isinstance(create_embedder("multilingual"), MultilingualEmbedder)
    with pytest.raises(ValueError, match="threads"):
        MultilingualEmbedder(threads=0)
