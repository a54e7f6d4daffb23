"""A fusion of a keyword and a vector retriever is asked of the backend at once
(``keyword_and_nearest``): each ranking must still reach its own child, weight and filter."""

from __future__ import annotations

import uuid

import numpy as np

from etagere.core.chunks import EmbeddedChunk
from etagere.core.filters import parse_filter
from etagere.core.model import Caller
from etagere.domain.libraries import LibraryService
from etagere.domain.search import FusionQuery, KeywordQuery, SearchService, VectorQuery
from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.index.backend import SearchBackend
from etagere.storage.metadata import Database
from tests.search.test_embedded_index import add_document

# The keyword side prefers the texts naming "lighthouse" most; the vector side the chunks whose
# vector is nearest the query's (chosen apart from the texts, so the two rankings differ).
TEXTS = [
    "The lighthouse keeper logged every ship.",
    "Lighthouse, lighthouse: the lighthouse lamp was lit at dusk.",
    "A harbour without a lighthouse.",
    "Ships, harbours and storms.",
    "The keeper's diary of storms.",
    "Lamps and lenses of the coast.",
]


def test_each_child_of_a_hybrid_search_keeps_its_ranking_weight_and_filter(
    db: Database,
    caller: Caller,
    library_service: LibraryService,
    search_backend: SearchBackend,
) -> None:
    embedder = LocalOnnxEmbedder()
    library = library_service.create(caller, "coast").library
    _, document = add_document(db, library.id)
    _, other = add_document(db, library.id)
    query = embedder.embed_query("lighthouse")
    rng = np.random.default_rng(5)
    vectors = [v / np.linalg.norm(v) for v in rng.normal(size=(len(TEXTS), embedder.dimension))]
    vectors[3] = query  # the nearest chunk names no lighthouse at all
    with db.write() as conn:
        for owner, indexes in ((document, range(0, 3)), (other, range(3, 6))):
            chunks = [
                EmbeddedChunk(
                    uuid.uuid4(),
                    i,
                    TEXTS[i],
                    0,
                    len(TEXTS[i]),
                    (),
                    (),
                    f"h{i}",
                    np.asarray(vectors[i], dtype=np.float32),
                )
                for i in indexes
            ]
            search_backend.store_chunks(conn, library.id, owner, embedder.model_name, chunks)
    search = SearchService(db, search_backend, embedder)

    def texts(retrieval: KeywordQuery | VectorQuery | FusionQuery) -> list[str]:
        return [p.content for p in search.search(caller, [library.id], retrieval)]

    keyword = KeywordQuery("lighthouse", top_k=6)
    vector = VectorQuery(embedding=query.tolist(), top_k=6)
    by_keyword, by_vector = texts(keyword), texts(vector)
    assert by_keyword[0] != by_vector[0] == TEXTS[3]
    # Weighted RRF with one weight at zero ranks as the other child alone, in either order.
    for first, second in ((keyword, vector), (vector, keyword)):
        for kept, ranked in ((keyword, by_keyword), (vector, by_vector)):
            weights = [float(child is kept) for child in (first, second)]
            fused = texts(FusionQuery([first, second], top_k=6, weights=weights))
            assert fused[: len(ranked)] == ranked, (type(first).__name__, type(kept).__name__)
    # A child with a filter of its own is ranked in its own scope.
    mine = parse_filter({"type": "equal", "field": "document_id", "value": str(document)}, ())
    filtered = VectorQuery(embedding=query.tolist(), top_k=6, filter=mine)
    fused = texts(FusionQuery([keyword, filtered], top_k=6, weights=[0.0, 1.0]))
    assert TEXTS[3] not in fused[:3] and set(fused[:3]) == set(TEXTS[:3])
