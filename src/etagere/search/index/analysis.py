"""Keyword analysis per language for the tantivy index: one text field per language.

A chunk's text goes into the field of its language (``text`` for English, ``text_fr``...),
analysed with that language's stop words and Snowball stemmer; accents are folded after
stemming in the other languages, so that "ete" finds "été". BM25 statistics stay per field,
so a French corpus does not skew English scores. A query is analysed once per language
present in the index and the fields are searched together, each weighted by the probability
that the query is in that language: a hard choice on a short query (unreliable, see
``etagere.search.language``) could send it to the wrong analyzer, while unweighted fields let
a French query's words, rare in the English field and so scored high there, promote English
chunks that quote them (measured on the bilingual set of ``bench/quality.py``). An
English-only index costs exactly one field and no detection, as before.
"""

from __future__ import annotations

from collections.abc import Iterable

import tantivy

from etagere.search.language import DEFAULT_LANGUAGE, LANGUAGES, REGCONFIG, language_weights

#: Longest token kept (longer ones are noise: base64, hashes, URLs without separators).
LONGEST_TOKEN = 40
#: Smallest weight of a language's field, so that a query's exact terms still match there.
MIN_WEIGHT = 0.01


def field_name(language: str) -> str:
    """The text field holding chunks of ``language`` (English keeps the historical name)."""
    return "text" if language == DEFAULT_LANGUAGE else f"text_{language}"


def _tokenizer_name(language: str) -> str:
    return f"etagere_{language}"


def analyzer(language: str = DEFAULT_LANGUAGE) -> tantivy.TextAnalyzer:
    """Lower-cased, stop words removed, Snowball-stemmed (and, but in English, accent-folded)."""
    snowball = REGCONFIG[language]  # tantivy and PostgreSQL name the languages alike
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(LONGEST_TOKEN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword(snowball))
        .filter(tantivy.Filter.stemmer(snowball))
    )
    if language != DEFAULT_LANGUAGE:
        builder = builder.filter(tantivy.Filter.ascii_fold())
    return builder.build()


class LanguageFields:
    """The per-language text fields of one tantivy index: schema, analyzers and queries."""

    def __init__(self) -> None:
        self.analyzers = {language: analyzer(language) for language in LANGUAGES}
        self.present: set[str] = set()

    def add_to_schema(self, builder: tantivy.SchemaBuilder) -> None:
        for language in LANGUAGES:
            builder.add_text_field(
                field_name(language), stored=False, tokenizer_name=_tokenizer_name(language)
            )

    def register(self, index: tantivy.Index) -> None:
        for language, text_analyzer in self.analyzers.items():
            index.register_tokenizer(_tokenizer_name(language), text_analyzer)

    def add_text(self, entry: tantivy.Document, text: str, language: str) -> None:
        """Put ``text`` into the field of ``language`` (an unknown code counts as English)."""
        known = language if language in self.analyzers else DEFAULT_LANGUAGE
        entry.add_text(field_name(known), text)
        self.present.add(known)

    def query(
        self,
        schema: tantivy.Schema,
        text: str,
        conjunction: bool,
        also_present: Iterable[str] = (),
    ) -> tantivy.Query | None:
        """The query's terms in every present language (None: no term survives analysis).

        ``also_present``: languages held by another index searched with the same query (a
        persisted generation beneath this one), so that both are asked the same question.
        """
        occur = tantivy.Occur.Must if conjunction else tantivy.Occur.Should
        searched = self._searched(also_present)
        weights = language_weights(text, searched) if len(searched) > 1 else {}
        per_language: list[tantivy.Query] = []
        for language in searched:
            terms = list(dict.fromkeys(self.analyzers[language].analyze(text)))
            if terms:
                field = field_name(language)
                words = tantivy.Query.boolean_query(
                    [(occur, tantivy.Query.term_query(schema, field, t)) for t in terms]
                )
                if language in weights:
                    words = tantivy.Query.boost_query(words, max(weights[language], MIN_WEIGHT))
                per_language.append(words)
        if not per_language:
            return None
        if len(per_language) == 1:
            return per_language[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in per_language])

    def _searched(self, also_present: Iterable[str] = ()) -> list[str]:
        # Before the first document, search English so that an empty index behaves as before.
        present = self.present.union(also_present)
        return [lang for lang in LANGUAGES if lang in present] or [DEFAULT_LANGUAGE]
