"""Reciprocal rank fusion: combine ranked lists by rank, not by incomparable raw scores.

``score(c) = sum_i w_i / (k + rank_i(c))`` over the lists that contain ``c`` (ranks from 1).
k = 60 is the constant of Cormack et al. (2009): it damps the head of each list so that one
retriever's top hit cannot outvote agreement between retrievers.
"""

from __future__ import annotations

from collections.abc import Sequence

from etagere.core.chunks import Scored

DEFAULT_RANK_CONSTANT = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Scored]],
    *,
    weights: Sequence[float] | None = None,
    rank_constant: int = DEFAULT_RANK_CONSTANT,
) -> list[Scored]:
    """Fuse rankings (each best first) into one list, best first; ties keep first-seen order."""
    if weights is not None and len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[int, float] = {}
    for index, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[index]
        for rank, scored in enumerate(ranking, start=1):
            fused[scored.seq] = fused.get(scored.seq, 0.0) + weight / (rank_constant + rank)
    order = sorted(fused.items(), key=lambda item: item[1], reverse=True)
    return [Scored(seq, score) for seq, score in order]


#: Weight of each retriever in the default hybrid search (keyword, vectors). Chosen on SciFact's
#: train queries (bench/quality.py --tune; the test queries were only measured afterwards).
CONVEX_WEIGHTS = (0.5, 0.5)


def min_max(ranking: Sequence[Scored]) -> dict[int, float]:
    """Scores rescaled to [0, 1] within one ranking (best 1, last 0; all equal: 1).

    >>> min_max([Scored(1, 9.0), Scored(2, 5.0), Scored(3, 1.0)])
    {1: 1.0, 2: 0.5, 3: 0.0}
    """
    if not ranking:
        return {}
    scores = [s.score for s in ranking]
    high, low = max(scores), min(scores)
    spread = high - low
    return {s.seq: (s.score - low) / spread if spread > 0 else 1.0 for s in ranking}


def convex_fusion(
    rankings: Sequence[Sequence[Scored]], *, weights: Sequence[float] = CONVEX_WEIGHTS
) -> list[Scored]:
    """Fuse by a weighted sum of min-max normalised scores: each retriever counts by confidence.

    Unlike RRF, a retriever whose best hit stands far above the rest (a rare exact term for
    BM25, a near-duplicate for vectors) keeps that margin, and one whose scores are flat gives
    little; a chunk absent from a ranking scores 0 there. On SciFact's train queries this beat
    every RRF setting tried (nDCG@10 +0.02 over k=60; README, "Retrieval quality").
    """
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[int, float] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        for seq, score in min_max(ranking).items():
            fused[seq] = fused.get(seq, 0.0) + weight * score
    order = sorted(fused.items(), key=lambda item: item[1], reverse=True)
    return [Scored(seq, score) for seq, score in order]
