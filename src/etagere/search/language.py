"""Which language a text is written in, among those the keyword indexes analyse.

Detection uses py3langid (langid.py's naive Bayes model over byte n-grams, 4.5 MB, numpy only,
about 1 ms per 1,000 characters) restricted to the analysed languages, so that its answer is
always one we can stem. A chunk is classified on its own text; when the model is unsure (short
or mixed text) the chunk takes its document's language, and the document's falls back to
English. Queries are not classified: a five-word query is too short to trust (measured in
``tests/search/test_language.py``), so the keyword side analyses a query once per language
present in the index instead.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

#: ISO 639-1 codes of the languages with a stemmer and stop words on both keyword backends.
LANGUAGES = ("en", "fr", "de", "es", "it")
DEFAULT_LANGUAGE = "en"
#: PostgreSQL text search configuration of each language.
REGCONFIG = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian"}
#: Below this probability the detector's answer is not used (a chunk takes its document's).
CONFIDENCE = 0.9
#: Characters of a document read to decide its language (enough for a stable answer).
SAMPLE_CHARS = 5000

_lock = threading.Lock()
_identifier: Any = None


def _classifier() -> Any:
    """The detector, loaded once (0.3 s) on first use, restricted to ``LANGUAGES``."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import _load_identifier  # type: ignore[import-untyped]

            _identifier = _load_identifier(norm_probs=True, langs=list(LANGUAGES))
        return _identifier


def detect_language(text: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The language of ``text`` when the detector is confident, else ``fallback``."""
    if sum(c.isalpha() for c in text[:SAMPLE_CHARS]) < 20:
        return fallback
    language, probability = _classifier().classify(text[:SAMPLE_CHARS])
    return str(language) if probability >= CONFIDENCE else fallback


def language_weights(text: str, languages: Sequence[str]) -> dict[str, float]:
    """How likely ``text`` is in each of ``languages`` (summing to 1): a soft query language.

    Unlike ``detect_language`` this never commits to one answer, so a short query the model
    gets wrong still weighs in its true language, only less.
    """
    ranked = dict(_classifier().rank(text[:SAMPLE_CHARS]))
    raw = {language: float(ranked.get(language, 0.0)) for language in languages}
    total = sum(raw.values())
    if total <= 0:
        return {language: 1.0 / len(languages) for language in languages}
    return {language: value / total for language, value in raw.items()}


def chunk_languages(texts: Sequence[str]) -> list[str]:
    """The language of each chunk of one document (unsure chunks take the document's)."""
    document = detect_language(" ".join(texts)[:SAMPLE_CHARS])
    return [detect_language(text, fallback=document) for text in texts]


def known_language(code: str | None) -> str:
    """A stored language code as one of ``LANGUAGES`` (rows from before detection: English)."""
    return code if code in REGCONFIG else DEFAULT_LANGUAGE
