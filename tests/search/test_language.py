"""Language detection and per-language keyword analysis, on tantivy and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np

from etagere.core.chunks import EmbeddedChunk, IndexedChunk, Scope
from etagere.ingestion.chunking import chunk_markdown
from etagere.ingestion.indexing import embed_chunks
from etagere.search.index.backend import SearchBackend
from etagere.search.index.memory import MemoryIndex
from etagere.search.language import chunk_languages, detect_language
from etagere.storage.metadata import Database
from tests.search.test_embedded_index import add_document

PARAGRAPHS = {
    "en": "The horses were eating apples in the summer gardens while the children played.",
    "fr": "Les chevaux mangeaient des pommes dans les jardins de l'été pendant que les enfants "
    "jouaient.",
    "de": "Die Pferde fraßen im Sommer Äpfel in den Gärten, während die Kinder spielten.",
    "es": "Los caballos comían manzanas en los jardines del verano mientras los niños jugaban.",
    "it": "I cavalli mangiavano mele nei giardini d'estate mentre i bambini giocavano.",
}
FRENCH = [
    "Le cheval mange une pomme dans le jardin.",
    "Les chevaux de trait tiraient les charrues l'été dernier.",
    "La bibliothèque conserve des manuscrits anciens.",
]
ENGLISH = ["Draft horses pulled the ploughs last summer.", "The library keeps old manuscripts."]


def vector(seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=8)
    return (values / np.linalg.norm(values)).astype(np.float32)


def test_detects_each_supported_language_and_falls_back_when_unsure() -> None:
    for language, text in PARAGRAPHS.items():
        assert detect_language(text) == language, text
    assert detect_language("ls -la") == "en", "too short to judge: the fallback"
    assert detect_language("ls -la", fallback="fr") == "fr"
    # A short chunk of a French document takes the document's language.
    assert chunk_languages([*FRENCH, "Annexe B"]) == ["fr", "fr", "fr", "fr"]


class ConstantEmbedder:
    """Indexing needs vectors, not meaningful ones, to show which language it records."""

    model_name = "constant"
    dimension = 8

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([vector(0) for _ in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return vector(0)


def test_indexing_records_each_chunks_language() -> None:
    text = "\n\n".join([PARAGRAPHS["fr"]] * 3 + [PARAGRAPHS["de"]] * 9)
    chunks = chunk_markdown(text, [], chunk_size=300, overlap=0)
    embedded = embed_chunks(chunks, ConstantEmbedder(), lambda hashes: {})
    languages = [c.language for c in embedded.chunks]
    assert languages[0] == "fr" and languages[-1] == "de", languages


def memory_index() -> tuple[MemoryIndex, Scope]:
    index = MemoryIndex()
    library, document = uuid.uuid4(), uuid.uuid4()
    texts = [(t, "fr") for t in FRENCH] + [(t, "en") for t in ENGLISH]
    chunks = [
        IndexedChunk(seq, text, vector(seq), language)
        for seq, (text, language) in enumerate(texts, start=1)
    ]
    index.replace_document(library, document, chunks)
    index.commit()
    return index, Scope((library,))


def test_tantivy_stems_french_and_keeps_english() -> None:
    index, scope = memory_index()
    assert {h.seq for h in index.keyword(scope, "cheval", 10)} == {1, 2}, "chevaux -> cheval"
    assert {h.seq for h in index.keyword(scope, "horse", 10)} == {4}, "English still stemmed"
    assert [h.seq for h in index.keyword(scope, "les de la", 10)] == [], "French stop words"
    assert {h.seq for h in index.keyword(scope, "bibliotheque ete", 10)} == {2, 3}, "accents"
    both = index.keyword(scope, "chevaux jardin", 10, conjunction=True)
    assert [h.seq for h in both] == [1]


def test_keyword_backend_analyses_per_language(db: Database, search_backend: SearchBackend) -> None:
    """The same behaviour on SQLite/tantivy and on PostgreSQL's per-language tsvector."""
    library, document = add_document(db)
    texts = FRENCH + ENGLISH
    languages = chunk_languages(FRENCH) + chunk_languages(ENGLISH)
    chunks = [
        EmbeddedChunk(uuid.uuid4(), i, t, 0, len(t), (), (), f"h{i}", vector(i), language)
        for i, (t, language) in enumerate(zip(texts, languages, strict=True))
    ]
    assert languages == ["fr", "fr", "fr", "en", "en"]
    with db.write() as conn:
        search_backend.store_chunks(conn, library, document, "m", chunks)
    seq_of: dict[str, int] = {}
    with db.read() as conn:
        for text in texts:
            found = search_backend.keyword(conn, Scope((library,)), text, 1, conjunction=True)
            seq_of[text] = found[0].seq
        french = search_backend.keyword(conn, Scope((library,)), "cheval", 10)
        english = search_backend.keyword(conn, Scope((library,)), "horse ploughing", 10)
        stop_words = search_backend.keyword(conn, Scope((library,)), "dans une pour avec", 10)
    assert {h.seq for h in french} == {seq_of[FRENCH[0]], seq_of[FRENCH[1]]}
    assert [h.seq for h in english] == [seq_of[ENGLISH[0]]]
    assert stop_words == []


def test_a_french_query_prefers_french_chunks_to_english_ones_quoting_it() -> None:
    """Query words rare in the English field must not lift English chunks above French ones.

    In French pages "afficher", "message" and "aide" are common (low BM25 weight); in the
    English field they are rare, so unweighted fields would rank the English chunk that quotes
    them first.
    """
    index = MemoryIndex()
    library = uuid.uuid4()
    english = [f"Option {n} sets the number of days between password changes." for n in range(8)]
    english.append("Afficher un message d'aide et quitter. When printing dates, use ISO format.")
    french = [
        "Afficher un message d'aide et quitter, puis revenir au terminal.",
        *(f"Afficher le message numéro {n} de l'aide en ligne." for n in range(8)),
    ]
    chunks = [IndexedChunk(i, t, vector(i), "en") for i, t in enumerate(english, start=1)]
    chunks += [IndexedChunk(100 + i, t, vector(i), "fr") for i, t in enumerate(french)]
    index.replace_document(library, uuid.uuid4(), chunks)
    index.commit()
    hits = index.keyword(Scope((library,)), "Afficher un message d'aide puis quitter", 5)
    assert hits[0].seq == 100, hits
    english_hits = index.keyword(Scope((library,)), "number of days between password changes", 3)
    assert all(h.seq <= 8 for h in english_hits), english_hits
