"""Reciprocal rank fusion against a direct reading of its definition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etagere.core.chunks import Scored
from etagere.search.fusion import convex_fusion, reciprocal_rank_fusion


def reference(rankings: list[list[int]], weights: list[float], k: int) -> dict[int, float]:
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for position, seq in enumerate(ranking):
            scores[seq] = scores.get(seq, 0.0) + weight / (k + position + 1)
    return scores


def test_agreement_beats_a_single_first_place() -> None:
    keyword = [Scored(1, 9.0), Scored(2, 5.0), Scored(3, 1.0)]
    vector = [Scored(2, 0.9), Scored(4, 0.8), Scored(1, 0.1)]
    fused = reciprocal_rank_fusion([keyword, vector])
    assert [s.seq for s in fused] == [2, 1, 4, 3]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_weights_and_rank_constant() -> None:
    fused = reciprocal_rank_fusion(
        [[Scored(1, 1.0)], [Scored(2, 1.0)]], weights=[1.0, 3.0], rank_constant=10
    )
    assert [(s.seq, s.score) for s in fused] == [
        (2, pytest.approx(3 / 11)),
        (1, pytest.approx(1 / 11)),
    ]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[Scored(1, 1.0)]], weights=[1.0, 2.0])


@given(
    st.lists(st.lists(st.integers(0, 30), unique=True, max_size=15), min_size=1, max_size=4),
    st.integers(1, 100),
)
def test_matches_the_definition(rankings: list[list[int]], k: int) -> None:
    weights = [1.0 + i for i in range(len(rankings))]
    fused = reciprocal_rank_fusion(
        [[Scored(seq, 0.0) for seq in r] for r in rankings], weights=weights, rank_constant=k
    )
    expected = reference(rankings, weights, k)
    assert {s.seq: s.score for s in fused} == pytest.approx(expected)
    assert [s.score for s in fused] == sorted((s.score for s in fused), reverse=True)


def test_convex_fusion_weighs_each_retriever_by_its_score_margins() -> None:
    # BM25 is sure of chunk 1 (far above the rest); the vectors barely prefer 2 and 3 to 1.
    keyword = [Scored(1, 30.0), Scored(2, 3.0), Scored(3, 2.0)]
    vector = [Scored(2, 0.62), Scored(3, 0.61), Scored(1, 0.60), Scored(4, 0.20)]
    assert [s.seq for s in reciprocal_rank_fusion([keyword, vector])][:1] == [2], "RRF: ranks"
    fused = convex_fusion([keyword, vector])
    assert [s.seq for s in fused] == [1, 2, 3, 4]
    assert fused[0].score == pytest.approx(0.5 * 1.0 + 0.5 * (0.60 - 0.20) / (0.62 - 0.20))
    with pytest.raises(ValueError):
        convex_fusion([keyword], weights=(0.5, 0.5))


@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 30), st.floats(-50, 50)), max_size=12),
        min_size=1,
        max_size=3,
    )
)
def test_convex_fusion_matches_its_definition(raw: list[list[tuple[int, float]]]) -> None:
    rankings = [
        sorted(
            (Scored(seq, score) for seq, score in dict(r).items()),
            key=lambda s: s.score,
            reverse=True,
        )
        for r in raw
    ]
    weights = [1.0 / len(rankings)] * len(rankings)
    expected: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        high, low = ranking[0].score, ranking[-1].score
        for s in ranking:
            normalised = (s.score - low) / (high - low) if high > low else 1.0
            expected[s.seq] = expected.get(s.seq, 0.0) + weight * normalised
    fused = convex_fusion(rankings, weights=weights)
    assert {s.seq: s.score for s in fused} == pytest.approx(expected)
    assert [s.score for s in fused] == sorted((s.score for s in fused), reverse=True)
