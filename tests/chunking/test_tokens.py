"""Token counting with the bundled WordPiece tokenizer."""

from __future__ import annotations

from etagere.ingestion.tokens import count_tokens


def test_counts_word_pieces_without_special_tokens() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("Hello, world!") == 4  # punctuation is split off


def test_rare_words_become_several_pieces() -> None:
    assert count_tokens("unaffable") > 1


def test_no_truncation_at_the_model_limit() -> None:
    assert count_tokens("word " * 1000) == 1000


def test_long_texts_count_the_same_in_pieces() -> None:
    from etagere.ingestion.tokens import PIECE_CHARS

    sentence = "Etagere indexes documents for retrieval-augmented generation. "
    text = sentence * (3 * PIECE_CHARS // len(sentence))
    assert len(text) > 2 * PIECE_CHARS
    assert count_tokens(text) == count_tokens(sentence) * (3 * PIECE_CHARS // len(sentence))
