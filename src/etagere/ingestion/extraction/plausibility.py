"""How much a text layer looks like language: the test that catches garbage OCR layers.

Scanned PDFs often carry an invisible text layer from an old or bad OCR run
(``«POAH «3E*»CM``). Such a layer is "text", so it would be trusted and indexed as garbage.
The score here is the share of tokens that look like words of some language: made of
letters only once the punctuation around them is stripped, with a plausible case pattern
(lower, UPPER or Capitalised) and, in Latin script, a vowel. It needs no dictionary, so it
works for any language that separates words with spaces, and it is cheap enough to run on
every page. Real prose scores above 0.8, OCR garbage well below 0.5.
"""

from __future__ import annotations

import re
import unicodedata

# Below this score a text layer over an image is suspect and the page is read again by OCR.
SUSPECT_BELOW = 0.6
# OCR replaces a suspect layer only when it scores this much better (it is not free of noise).
BETTER_BY = 0.15

# ASCII punctuation, then quotes, guillemets, ellipsis and dashes of other typographies.
_EDGE_PUNCTUATION = (
    "\"'()[]{}.,;:!?/*-"
    "\u201c\u201d\u2018\u2019\u00ab\u00bb\u2039\u203a\u00a1\u00bf\u2026\u2013\u2014"
)
_LATIN_VOWELS = re.compile(r"[aeiouyàâäáãåæèéêëìíîïòóôöõøœùúûüýÿ]", re.IGNORECASE)
_INNER_MARKS = str.maketrans(dict.fromkeys("'\u2019-.", None))  # it's, l'âme, e.g.
_NUMBER = re.compile(r"[+-]?\d[\d.,]*%?")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")


def plausibility(text: str) -> float:
    """Share of tokens (weighted by length) that look like words; 1.0 for an empty text."""
    tokens = text.split()
    total = sum(len(token) for token in tokens)
    if not total:
        return 1.0
    good = sum(len(token) for token in tokens if _wordlike(token))
    return good / total


def _wordlike(token: str) -> bool:
    word = token.strip(_EDGE_PUNCTUATION)
    if not word:
        return False
    if _NUMBER.fullmatch(word):
        return True  # numbers are fine in real text (years, amounts, page numbers)
    core = word.translate(_INNER_MARKS)
    if not core or not all(_is_letter(char) for char in core):
        return False
    if _LATIN.search(core):
        if len(core) > 1 and not _LATIN_VOWELS.search(core):
            return core.isupper() and len(core) <= 5  # acronyms: GDP, HTML
        return core.islower() or core.isupper() or (core[0].isupper() and core[1:].islower())
    return True


def _is_letter(char: str) -> bool:
    # Letters and combining marks (Arabic and Indic scripts write vowels as marks).
    return unicodedata.category(char)[0] in ("L", "M")
