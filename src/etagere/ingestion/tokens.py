"""Token counts with the bundled model's WordPiece tokenizer.

Chunk sizes are set in characters (the Mistral API's ``chunk_size``), but the
embedder truncates at 256 word pieces; counting real tokens lets the pipeline
and the benchmarks see how much of a chunk the model actually reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from etagere.search.embedding import load_tokenizer

if TYPE_CHECKING:
    from tokenizers import Tokenizer


@cache
def _tokenizer() -> Tokenizer:
    # No truncation: we want the full count, not what the model keeps. Two
    # threads racing here both load the same file once; harmless, so no lock.
    return load_tokenizer(max_tokens=None)


# Long texts are counted in pieces of about this many characters through ``encode_batch``,
# which releases the GIL (a single ``encode`` of a 4 MB text holds it for seconds and stalls
# every other thread of the server).
PIECE_CHARS = 20_000


def count_tokens(text: str) -> int:
    """Number of word pieces in ``text``, without the [CLS]/[SEP] markers."""
    encodings = _tokenizer().encode_batch(list(_pieces(text)), add_special_tokens=False)
    return sum(len(encoding.ids) for encoding in encodings)


def _pieces(text: str) -> Iterator[str]:
    """Cut ``text`` at whitespace into pieces of about ``PIECE_CHARS`` (words stay whole)."""
    start = 0
    while len(text) - start > PIECE_CHARS:
        cut = text.rfind(" ", start, start + PIECE_CHARS)
        cut = cut if cut > start else start + PIECE_CHARS
        yield text[start:cut]
        start = cut
    yield text[start:]
