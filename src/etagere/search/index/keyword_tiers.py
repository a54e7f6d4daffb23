"""Which matches of a keyword query PostgreSQL ranks first: the query's rarer terms bound the work.

PostgreSQL's full-text ranking (``ts_rank``) reads and scores every row it is given, and an
OR query with one common word matches most of a large table: at 100k chunks a SciFact claim
matched half of them. So the terms of a query are split into *tiers*, rarest first, using the
lexeme frequencies PostgreSQL's ANALYZE keeps for the ``tsvector`` column
(``pg_stats.most_common_elems``): the first tier holds every term too rare to be listed there
and the listed ones, rarest first, while the chunks they are expected to match stay within a
budget; the next tiers add the next listed term, then all the rest. Only the first tier's
matches are ranked (with the whole query) unless they are fewer than ``k``, so a query is
bounded by its rare terms, and one whose terms are all rare (or a table too small to have
common terms) is ranked exactly as before, every match. Pure functions: the SQL is in
``etagere.search.index.postgres``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TermStatistics:
    """How many chunks the table holds, and the share of them holding each common lexeme."""

    rows: float
    frequencies: Mapping[str, float] = field(default_factory=dict)

    def expected(self, term: str) -> float | None:
        """Chunks expected to hold ``term``; None for a term too rare to be listed."""
        share = self.frequencies.get(term)
        return None if share is None else share * self.rows


# The first tier's budget as a share of the table, and its floor (``tier_budget``).
BUDGET_SHARE = 0.02
BUDGET_FLOOR = 100


def tier_budget(rows: float, cap: int, share: float = BUDGET_SHARE) -> int:
    """Chunks the first tier may be expected to match: ``share`` of the table (2%), at least
    100, at most ``cap``.

    ``ts_rank`` knows nothing of term rarity; the tiers supply it, and a budget that is a share
    of the table keeps the first tier to the terms rarer than about that share at every size.
    On SciFact (bench/search_postgres ``--other-budgets``), at 10k chunks nDCG@10 was 0.616
    with 200 (2%), 0.614 with 400, 0.600 with 600 and 0.589 with 1,000, which also cost 2.2x
    the CPU of 200; at 100k, 0.593 with 500, 0.626 with 1,000 and 0.627 with 2,000 for 1.5x the
    CPU: the cap bounds the work on large tables, where 2% would be thousands of rows.
    """
    return int(min(cap, max(BUDGET_FLOOR, share * rows)))


def term_tiers(terms: Iterable[str], statistics: TermStatistics, budget: int) -> list[list[str]]:
    """The query's distinct terms in tiers, each ranked only if the ones before fall short.

    First tier: every unlisted (rare) term, then listed terms from the rarest while the
    chunks they are expected to match add up to at most ``budget``. Second: the rarest listed
    term left, if any (so that a query whose rare terms match nothing in this index, such as
    another language's stems, still finds chunks without ranking every match). Third: the rest.
    """
    expected = {t: statistics.expected(t) for t in terms}  # distinct, in the query's order
    first = [t for t, n in expected.items() if n is None]
    counted = {t: n for t, n in expected.items() if n is not None}
    listed = sorted(counted, key=lambda t: (counted[t], t))
    spent = 0.0
    while listed and spent + counted[listed[0]] <= budget:
        spent += counted[listed[0]]
        first.append(listed.pop(0))
    tiers = [first] if first else []
    if listed:
        tiers.append([listed.pop(0)])
    if listed:
        tiers.append(listed)
    return tiers


def tsquery_text(terms: Sequence[str], operator: str = "|") -> str:
    """``terms`` as the text of a tsquery joined by ``operator``, each quoted as a lexeme.

    Quoted, a lexeme is taken as it is (no parsing, no stemming: these are stems already);
    quotes and backslashes inside it are doubled, as tsquery input requires.
    """
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return f" {operator} ".join(quoted)
