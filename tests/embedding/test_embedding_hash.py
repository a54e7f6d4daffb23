"""The cache key the storage layer builds on."""

from __future__ import annotations

from etagere.search.embedding import content_hash


def test_hash_is_sha256_hex_and_stable() -> None:
    value = content_hash("hello", "m")
    assert len(value) == 64
    assert value == content_hash("hello", "m")


def test_model_name_is_part_of_the_key() -> None:
    assert content_hash("hello", "a") != content_hash("hello", "b")


def test_equivalent_texts_share_a_key() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert content_hash(composed, "m") == content_hash(decomposed, "m")
    assert content_hash("a\r\nb\n", "m") == content_hash("a\nb", "m")
    assert content_hash("a b", "m") != content_hash("a  b", "m")
