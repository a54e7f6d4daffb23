"""Extractive summary of a document's Markdown, without any language model.

Sentences are scored by the cosine similarity of their TF-IDF vector to the document's
centroid (the mean of all sentence vectors): the sentences that share the most of the
document's weighted vocabulary represent it best. The chosen ones are returned in their
original order so the summary reads like the document. Tables, code and headings are not
prose and are skipped; a document with no prose falls back to its first lines.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1\s*$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKERS = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)+")
_EMPHASIS = re.compile(r"[*_`~]{1,3}")
# Wikipedia-style citation marks ("[29]", "[14]: 242") glue sentences together.
_CITATION = re.compile(r"\[(?:\d+|[a-z]|note \d+)\](?::\s*[\d\u2013, -]+)?")
_MAX_SUMMARY_WORDS = 60
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|(?<=[\u3002\uff01\uff1f])")
_WORD = re.compile(r"\w+")
_ALPHA_WORD = re.compile(r"[^\W\d_]{2,}")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MAX_SENTENCES = 5000
_MAX_SENTENCE_CHARS = 500
_STOPWORDS_TEXT = (
    "a an and are as at be but by for from has have he her his i in is it its of on or our "
    "she so that the their them they this to was we were what when which who will with you "
    "your not no can do does did been being than then there these those into over also such"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def summarize(markdown: str, max_sentences: int = 3) -> str:
    """Return up to ``max_sentences`` representative sentences of the text, in document order."""
    if max_sentences <= 0 or not markdown.strip():
        return ""
    sentences = _sentences(markdown)
    if not sentences:
        return " ".join(_fallback_lines(markdown)[:max_sentences])
    if len(sentences) <= max_sentences:
        return " ".join(sentences)
    scores = _centroid_scores([_terms(sentence) for sentence in sentences])
    # Very long sentences overlap the centroid by sheer size; they still shape the centroid
    # but are only picked when nothing shorter is left.
    too_long = [len(s.split()) > _MAX_SUMMARY_WORDS for s in sentences]
    ranked = sorted(range(len(sentences)), key=lambda i: (too_long[i], -scores[i], i))
    ranked = ranked[:max_sentences]
    return " ".join(sentences[i] for i in sorted(ranked))


def _sentences(markdown: str) -> list[str]:
    """Prose sentences, with Markdown syntax removed and duplicates dropped."""
    seen: set[str] = set()
    sentences: list[str] = []
    for paragraph in _prose_paragraphs(markdown):
        for raw in _SENTENCE_END.split(paragraph):
            sentence = " ".join(raw.split())[:_MAX_SENTENCE_CHARS]
            if _is_sentence(sentence) and sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
                if len(sentences) >= _MAX_SENTENCES:
                    return sentences
    return sentences


def _prose_paragraphs(markdown: str) -> list[str]:
    text = _FENCE.sub("\n", markdown)
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in block.splitlines():
            if line.lstrip().startswith(("|", "#")) or _LIST_ITEM.match(line):
                paragraphs.append(" ".join(current))
                current = []
                # A list item is a unit of its own: joining items makes run-on "sentences".
                if _LIST_ITEM.match(line):
                    paragraphs.append(_clean_line(line))
            elif cleaned := _clean_line(line):
                current.append(cleaned)
        paragraphs.append(" ".join(current))
    return [paragraph for paragraph in paragraphs if paragraph]


def _clean_line(line: str) -> str:
    line = _LINK.sub(r"\1", line)
    line = _CITATION.sub("", _MARKERS.sub("", line))
    return _EMPHASIS.sub("", line).strip()


def _is_sentence(sentence: str) -> bool:
    if _CJK.search(sentence):
        return len(sentence) >= 8
    # Words of letters only: reference lines ("ISBN 978-0-691-...") are not prose.
    return len(_ALPHA_WORD.findall(sentence)) >= 5


def _terms(sentence: str) -> Counter[str]:
    words = [w for w in _WORD.findall(sentence.lower()) if w not in _STOPWORDS and len(w) > 1]
    # CJK text has no spaces: use its characters as terms so it still gets a vector.
    words.extend(char for char in sentence if _CJK.match(char))
    return Counter(words)


def _centroid_scores(documents: list[Counter[str]]) -> list[float]:
    """Cosine similarity of each TF-IDF sentence vector to the mean of all of them."""
    count = len(documents)
    frequency = Counter(term for doc in documents for term in doc)
    idf = {term: math.log((1 + count) / (1 + df)) + 1 for term, df in frequency.items()}
    vectors = [
        _unit({t: (1 + math.log(tf)) * idf[t] for t, tf in doc.items()}) for doc in documents
    ]
    centroid: Counter[str] = Counter()
    for vector in vectors:
        centroid.update(vector)
    centroid_unit = _unit(dict(centroid))
    return [sum(w * centroid_unit.get(t, 0.0) for t, w in v.items()) for v in vectors]


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


def _fallback_lines(markdown: str) -> list[str]:
    """First meaningful lines when there is no prose (tables, code, lists of numbers).

    Lines outside code fences come first; a document that is all code (JSON, a source file)
    is summarised by its first code lines.
    """
    outside = _meaningful_lines(_FENCE.sub("\n", markdown))
    if outside:
        return outside
    inside = "\n".join(
        line for line in markdown.splitlines() if not line.lstrip().startswith(("```", "~~~"))
    )
    return _meaningful_lines(inside)


def _meaningful_lines(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        cleaned = " ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        cleaned = _clean_line(cleaned.lstrip("#"))
        if cleaned and not set(cleaned) <= set("-: "):
            lines.append(" ".join(cleaned.split()))
    return lines
