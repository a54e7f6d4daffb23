"""The PostgreSQL search backend on a real PostgreSQL: keyword tiers and the HNSW search width."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from etagere.core.chunks import EmbeddedChunk, Scope
from etagere.core.errors import StoreUnavailable
from etagere.search.index.keyword_tiers import (
    TermStatistics,
    term_tiers,
    tier_budget,
    tsquery_text,
)
from etagere.search.index.memory import CONNECTIVITY, EXPANSION_ADD, expansion_for
from etagere.search.index.postgres import PostgresSearchBackend, buffers_advice
from etagere.storage.metadata import Database
from tests.search.test_embedded_index import add_document
from tests.support import postgres

DIM = 8
# 400 chunks: all say "protein", the 16 shortest say little else (the best ts_rank for
# "protein" alone), four long ones also name the rare "zebrafish".
COMMON = [f"Protein folding study {n}: the protein binds." for n in range(380)]
REPEATED = [f"Protein {n}." for n in range(16)]
LONG = "with sections on fins, scales, gills, eyes, hearts, skin, bones and muscles of larvae."
RARE = [
    f"Zebrafish protein atlas, {LONG}",
    f"Zebrafish fins regrow; zebrafish protein levels rise, {LONG}",
    f"Protein turnover in zebrafish larvae, {LONG}",
    f"Zebrafish embryos in a protein-rich medium, {LONG}",
]


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    url = postgres.create_database(postgres_url)
    db = Database(url)
    db.migrate()
    yield db
    db.close()
    postgres.drop_database(postgres_url, url)


def vector(seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=DIM)
    return (values / np.linalg.norm(values)).astype(np.float32)


def store(db: Database, texts: list[str]) -> tuple[Scope, dict[str, int]]:
    """The texts as one document's chunks, analysed; returns the scope and each text's seq."""
    library, document = add_document(db)
    chunks = [
        EmbeddedChunk(uuid.uuid4(), i, t, 0, len(t), (), (), f"h{i}", vector(i))
        for i, t in enumerate(texts)
    ]
    with db.write() as conn:
        PostgresSearchBackend(db, DIM).store_chunks(conn, library, document, "m", chunks)
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE chunks")
        seqs = conn.exec_driver_sql("SELECT text, seq FROM chunks").all()
    return Scope((library,)), {str(text): int(seq) for text, seq in seqs}


def test_the_rare_term_bounds_which_matches_are_ranked(pg: Database) -> None:
    scope, seq_of = store(pg, COMMON + REPEATED + RARE)
    rare = {seq_of[t] for t in RARE}
    bounded = PostgresSearchBackend(pg, DIM, keyword_budget=50)
    every = PostgresSearchBackend(pg, DIM, keyword_budget=None)
    with pg.read() as conn:
        statistics = bounded.statistics.terms(conn)
        assert statistics.rows == pytest.approx(400, rel=0.05)
        assert (statistics.expected("protein") or 0) > 350, "the common term is listed"
        assert (statistics.expected("zebrafish") or 0) < 50
        top = bounded.keyword(conn, scope, "zebrafish proteins", 4)
        ranked_all = every.keyword(conn, scope, "zebrafish proteins", 4)
        filled = bounded.keyword(conn, scope, "zebrafish proteins", 10)
        alone = bounded.keyword(conn, scope, "zebrafish", 10)
        alone_all = every.keyword(conn, scope, "zebrafish", 10)
        # The default budget on 400 chunks is its floor, 100: the common term waits as well.
        default = PostgresSearchBackend(pg, DIM).keyword(conn, scope, "zebrafish proteins", 4)
    # Only the chunks naming the rare term were ranked, with the whole query.
    assert {h.seq for h in top} == rare and default == top
    # Ranking every match puts the short chunks of the common word alone first instead.
    assert {h.seq for h in ranked_all} <= {seq_of[t] for t in REPEATED}
    # Asked for more than the rare term matches, the next tier fills k, ranked below.
    assert [h.seq for h in filled[:4]] == [h.seq for h in top]
    assert len(filled) == 10 and {h.seq for h in filled[4:]} <= {seq_of[t] for t in REPEATED}
    scores = [h.score for h in filled]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0, "scaled below the first"
    # A query of rare terms only is ranked exactly as before.
    assert alone == alone_all and {h.seq for h in alone} == rare


def test_tiers_keep_languages_conjunction_and_scope(pg: Database) -> None:
    scope, seq_of = store(pg, [*COMMON[:50], *RARE])
    backend = PostgresSearchBackend(pg, DIM, keyword_budget=10)
    with pg.read() as conn:
        both = backend.keyword(conn, scope, "zebrafish turnover", 10, conjunction=True)
        stop_words = backend.keyword(conn, scope, "the of and", 10)
        elsewhere = backend.keyword(conn, Scope((uuid.uuid4(),)), "zebrafish", 10)
        nothing = backend.keyword(conn, Scope(scope.library_ids, frozenset()), "zebrafish", 10)
    assert [h.seq for h in both] == [seq_of[RARE[2]]]
    assert stop_words == [] and elsewhere == [] and nothing == []


def test_a_hybrid_search_asks_both_at_once_and_finds_what_each_finds_alone(
    pg: Database,
) -> None:
    scope, _ = store(pg, [*COMMON[:60], *REPEATED, *RARE])
    backend = PostgresSearchBackend(pg, DIM, keyword_budget=10)
    with pg.read() as conn:
        document = conn.exec_driver_sql("SELECT document_id FROM chunks LIMIT 1").scalar()
    one_document = Scope(scope.library_ids, frozenset({uuid.UUID(str(document))}))
    cases = [
        (scope, "zebrafish proteins", 10, False),  # the first tier, then the next one
        (scope, "zebrafish proteins", 3, False),  # the first tier alone
        (scope, "zebrafish turnover", 10, True),
        (scope, "the of and", 10, False),  # stop words only: vectors alone
        (one_document, "zebrafish", 10, False),
        (scope, "zebrafish", 0, False),
    ]
    for where, query, k, conjunction in cases:
        with pg.read() as conn:
            both = backend.keyword_and_nearest(
                conn, where, query, k, vector(7), 12, conjunction=conjunction
            )
            width = conn.exec_driver_sql("SELECT current_setting('hnsw.ef_search')").scalar()
        with pg.read() as conn:
            keyword = backend.keyword(conn, where, query, k, conjunction=conjunction)
            nearest = backend.nearest(conn, where, vector(7), 12)
        assert both == (keyword, nearest), query
        assert len(nearest) == 12 and int(str(width)) == max(expansion_for(84), 12)
    assert [len(found) for found in both] == [0, 12]


def test_the_search_width_follows_the_number_of_vectors(pg: Database) -> None:
    scope, _ = store(pg, COMMON)
    backend = PostgresSearchBackend(pg, DIM)
    with pg.read() as conn:
        assert backend.statistics.vectors(conn, DIM) == pytest.approx(len(COMMON), rel=0.05)
        hits = backend.nearest(conn, scope, vector(3), 5)
        width = conn.exec_driver_sql("SELECT current_setting('hnsw.ef_search')").scalar()
    assert hits[0].seq and int(str(width)) == expansion_for(len(COMMON))


def test_a_search_cut_off_from_the_server_is_reported_and_the_next_one_reconnects(
    pg: Database,
) -> None:
    """Search statements run through psycopg directly: their errors still become the store's."""
    scope, seq_of = store(pg, RARE)
    backend = PostgresSearchBackend(pg, DIM)
    with pytest.raises(StoreUnavailable), pg.read() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with pg.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(str(pid))})")
            other.commit()
        backend.keyword(conn, scope, "zebrafish", 5)
    with pg.read() as conn:
        hits = backend.keyword(conn, scope, "zebrafish", 5)
        nearest = backend.nearest(conn, scope, vector(0), 1)
    assert {h.seq for h in hits} == {seq_of[t] for t in RARE}
    assert [h.seq for h in nearest] == [seq_of[RARE[0]]]


@pytest.mark.parametrize("retriever", ["keyword", "nearest"])
def test_a_search_that_cannot_take_its_lock_fails_as_the_store_unavailable(
    pg: Database, retriever: str
) -> None:
    scope, _ = store(pg, RARE)
    backend = PostgresSearchBackend(pg, DIM)
    with pg.read() as conn:  # the table's statistics read (and cached) before the lock
        backend.keyword(conn, scope, "zebrafish", 5)
        backend.nearest(conn, scope, vector(0), 1)
    with pg.engine.connect() as other:
        other.exec_driver_sql("LOCK TABLE chunks IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreUnavailable, match="lock"), pg.read() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
            if retriever == "keyword":
                backend.keyword(conn, scope, "zebrafish", 5)
            else:
                backend.nearest(conn, scope, vector(0), 1)
        other.rollback()
    with pg.read() as conn:
        assert backend.keyword(conn, scope, "zebrafish", 5)


def test_the_vector_index_is_built_as_the_embedded_graphs_and_an_older_one_is_reported(
    pg: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """pgvector's default construction width gave recall@10 0.915 at 1M chunks: the index
    is built with the embedded engine's parameters, and one built before says how to rebuild."""

    def options() -> list[str]:
        with pg.read() as conn:
            found = conn.exec_driver_sql(
                f"SELECT reloptions FROM pg_class WHERE relname = 'ix_chunks_embedding_{DIM}'"
            ).scalar()
        return sorted(found or [])

    PostgresSearchBackend(pg, DIM)
    assert options() == [f"ef_construction={EXPANSION_ADD}", f"m={CONNECTIVITY}"]
    assert "other parameters" not in caplog.text
    assert "shared_buffers" not in caplog.text, "a small index fits the buffers"
    with pg.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP INDEX ix_chunks_embedding_{DIM}")
        conn.exec_driver_sql(
            f"CREATE INDEX ix_chunks_embedding_{DIM} ON chunks USING hnsw "
            f"((embedding::vector({DIM})) vector_cosine_ops) WHERE vector_dims(embedding) = {DIM}"
        )
    with caplog.at_level("WARNING", logger="etagere.search"):
        PostgresSearchBackend(pg, DIM)
    warning = next(r for r in caplog.records if "other parameters" in r.getMessage())
    rebuild = str(warning.__dict__["rebuild"])
    for statement in filter(str.strip, rebuild.split(";")):  # REINDEX CONCURRENTLY: no BEGIN
        with pg.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(statement)
    assert options() == [f"ef_construction={EXPANSION_ADD}", f"m={CONNECTIVITY}"]


def test_an_index_larger_than_the_buffers_is_reported_with_the_size_to_set() -> None:
    mb = 2**20
    assert buffers_advice(100 * mb, 300 * mb, 128 * mb) is None
    advice = buffers_advice(2_000 * mb, 3_700 * mb, 128 * mb)
    assert advice is not None
    assert "(128 MB)" in advice and "(2,000 MB)" in advice and "at least 5,700 MB" in advice


def test_the_first_tier_budget_is_a_share_of_the_table_within_bounds() -> None:
    assert tier_budget(10_000, 1_000) == 200
    assert tier_budget(30_000, 1_000) == 600
    assert tier_budget(100_000, 1_000) == tier_budget(10**6, 1_000) == 1_000
    assert tier_budget(400, 1_000) == tier_budget(0, 1_000) == 100
    assert tier_budget(10_000, 50) == 50


def test_term_tiers_split_by_expected_matches() -> None:
    statistics = TermStatistics(10_000, {"cell": 0.2, "risk": 0.1, "vitamin": 0.01, "d": 0.05})
    tiers = term_tiers(["vitamin", "d", "risk", "cell", "zebrafish", "d"], statistics, 500)
    assert tiers == [["zebrafish", "vitamin"], ["d"], ["risk", "cell"]]
    assert term_tiers(["cell", "risk"], statistics, 500) == [["risk"], ["cell"]]
    assert term_tiers(["vitamin", "zebrafish"], statistics, 500) == [["zebrafish", "vitamin"]]
    assert term_tiers(["cell", "d"], TermStatistics(0), 700) == [["cell", "d"]], "no statistics"


def test_tsquery_text_quotes_any_lexeme(pg: Database) -> None:
    odd = ["it's", "back\\slash", "a b", "c:d", "x&y", "'", "été"]
    with pg.read() as conn:
        for lexeme in odd:
            match = conn.execute(
                sa.text(
                    "SELECT array_to_tsvector(ARRAY[:lexeme]) @@ CAST(:query AS tsquery), "
                    "array_to_tsvector(ARRAY['other']) @@ CAST(:query AS tsquery)"
                ),
                {"lexeme": lexeme, "query": tsquery_text([lexeme, "zzz"])},
            ).one()
            assert tuple(match) == (True, False), lexeme
