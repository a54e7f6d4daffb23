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
