"""HMAC-signed, expiring URLs that serve a document's bytes or text without an API key.

The signature covers the document id, what is served and the expiry time, so a URL cannot be
stretched or pointed elsewhere. A URL dies with its document (the route checks the document
still exists) and after ``lifetime`` (30 minutes by default): that short lifetime is also the
bound on how long a URL keeps working after the access that minted it is withdrawn.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode
from uuid import UUID

from etagere.core.errors import Forbidden

Served = Literal["original", "text"]


@dataclass(frozen=True)
class UrlSigner:
    secret: bytes
    lifetime_seconds: int = 30 * 60

    def path(self, document_id: UUID, served: Served, now: float | None = None) -> str:
        """The path and query of a signed URL (the HTTP layer prefixes the server's base URL)."""
        expires = int((now if now is not None else time.time()) + self.lifetime_seconds)
        query = urlencode(
            {"expires": expires, "signature": self._sign(document_id, served, expires)}
        )
        return f"/v1/signed/documents/{document_id}/{served}?{query}"

    def verify(self, document_id: UUID, served: Served, expires: int, signature: str) -> None:
        """Raise ``Forbidden`` unless the signature matches and has not expired."""
        expected = self._sign(document_id, served, expires)
        # Compared as bytes: ``compare_digest`` refuses a non-ASCII str instead of answering no.
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise Forbidden("Invalid URL signature")
        if expires < time.time():
            raise Forbidden("This signed URL has expired; ask for a new one")

    def _sign(self, document_id: UUID, served: Served, expires: int) -> str:
        message = f"{document_id}:{served}:{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()
