"""Content hashes that key the embedding cache kept by the storage layer."""

from __future__ import annotations

import hashlib
import unicodedata


def normalise_for_hash(text: str) -> str:
    """Canonical form of a text: NFC, LF line ends, no surrounding whitespace.

    Only encoding accidents (Unicode composition, CRLF, surrounding blanks) are
    folded away; anything a model could read differently keeps its own hash.
    """
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def content_hash(text: str, model_name: str) -> str:
    """sha256 hex of the model name and the normalised text.

    The model name is part of the key because the same text has a different
    vector under every model.
    """
    digest = hashlib.sha256()
    digest.update(model_name.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(normalise_for_hash(text).encode("utf-8"))
    return digest.hexdigest()
