"""Reciprocal rank fusion against a direct reading of its definition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etagere.core.chunks import Scored
from etagere.search.fusion import reciprocal_rank_fusion


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
