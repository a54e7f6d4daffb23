"""A library's ``generated_name`` and ``generated_description``, written without a language model.

The hosted service fills these as documents arrive; here they come from the documents'
extractive summaries and names: the terms that are both frequent and spread over many
documents name the library, and the summaries of the documents that best carry those terms
describe it. They are refreshed in the same transaction as every processed or deleted
document, and only these two columns are written: a user's ``name`` and ``description`` are
never touched.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from etagere.storage.metadata import Connection
from etagere.storage.metadata.profiles import DocumentGist, document_gists, set_generated

NAME_TERMS = 3
DESCRIPTION_TERMS = 6
QUOTED_SUMMARIES = 2
MAX_SENTENCE_CHARS = 240
MAX_DESCRIPTION_CHARS = 1000

_WORD = re.compile(r"[^\W\d_](?:[\w'\u2019-]*[^\W_])?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FILE_NOISE = {"pdf", "docx", "doc", "pptx", "xlsx", "txt", "html", "htm", "csv", "json", "md"}
# Common English function words and document boilerplate: never what a library is about.
_STOP = frozenset(
    """a about above after again against all also although am an and any are as at be because
    been before being below between both but by can could did do does doing down during each
    either even every few for from further had has have having he her here hers herself him
    himself his how however i if in into is it its itself just least less may me might more
    most much must my myself neither no nor not now of off often on once one only or other
    our ours ourselves out over own per same she should since so some such than that the
    their theirs them themselves then there these they this those though through thus to too
    under until up upon us very was we were what when where whether which while who whom
    whose why will with within without would yet you your yours yourself yourselves page
    pages document documents file files section chapter figure table item items new use used
    using many well two three first second like make made get got see shall""".split()  # noqa: SIM905
)
_MIME_LABELS = {
    "application/pdf": "PDF",
    "text/markdown": "Markdown",
    "text/plain": "text",
    "text/html": "HTML",
    "text/csv": "CSV",
    "application/json": "JSON",
}


def refresh_library_profile(conn: Connection, library_id: UUID) -> None:
    """Recompute and store the generated fields of one library (inside the caller's transaction)."""
    name, description = describe_library(document_gists(conn, library_id))
    set_generated(conn, library_id, name, description)


def describe_library(gists: Sequence[DocumentGist]) -> tuple[str | None, str | None]:
    """``(generated_name, generated_description)``, or ``(None, None)`` with nothing to go on."""
    bags = [_terms(g) for g in gists]
    if not any(bags):
        return None, None
    ranked = _ranked_terms(bags)
    if not ranked:
        return None, None
    name = _join([t.title() for t in ranked[:NAME_TERMS]])
    return name, _description(gists, bags, ranked)


def _terms(gist: DocumentGist) -> Counter[str]:
    stem = gist.name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ")
    words = _WORD.findall(f"{stem} {gist.summary or ''}".lower())
    bag = Counter(w for w in words if len(w) > 2 and w not in _STOP and w not in _FILE_NOISE)
    # "herons" counts as "heron" when both occur (a plural fold, not a stemmer).
    for word in [w for w in bag if w.endswith("s") and w[:-1] in bag]:
        bag[word[:-1]] += bag.pop(word)
    return bag


def _ranked_terms(bags: Sequence[Counter[str]]) -> list[str]:
    """Terms by frequency damped per document, favouring those spread over many documents."""
    frequency: dict[str, float] = {}
    spread: Counter[str] = Counter()
    for bag in bags:
        spread.update(bag.keys())
        for term, n in bag.items():
            frequency[term] = frequency.get(term, 0.0) + 1 + math.log(n)
    shared = len(bags) > 1 and any(spread[t] > 1 for t in spread)
    candidates = [t for t in frequency if not shared or spread[t] > 1]
    return sorted(candidates, key=lambda t: (-frequency[t] * math.log(1 + spread[t]), t))


def _description(
    gists: Sequence[DocumentGist], bags: Sequence[Counter[str]], ranked: list[str]
) -> str:
    kinds = Counter(_MIME_LABELS.get(g.mime_type or "", "other") for g in gists)
    kinds_text = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    count = f"{len(gists)} document{'s' if len(gists) != 1 else ''}"
    text = f"{count} ({kinds_text}) about {_join(ranked[:DESCRIPTION_TERMS])}."
    weight = {t: len(ranked) - i for i, t in enumerate(ranked[: DESCRIPTION_TERMS * 2])}
    best = sorted(
        (i for i, g in enumerate(gists) if g.summary),
        key=lambda i: -sum(weight.get(t, 0) for t in bags[i]),
    )
    for i in best[:QUOTED_SUMMARIES]:
        summary = gists[i].summary or ""
        sentence = _SENTENCE_END.split(" ".join(summary.split()), maxsplit=1)[0]
        if len(sentence) > MAX_SENTENCE_CHARS:
            sentence = sentence[: MAX_SENTENCE_CHARS - 1].rstrip() + "…"
        text += f" {gists[i].name}: {sentence}"
    return text[:MAX_DESCRIPTION_CHARS]


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
