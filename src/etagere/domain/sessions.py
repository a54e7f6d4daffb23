"""Browser sessions of the web console: signed in with an API key, held server-side.

The cookie carries a random secret; the store keeps its SHA-256, the key it was opened with and
a CSRF token. A session resolves to the same ``Caller`` as its key, so the console can never do
more than the key, and it stops working the moment the key is revoked (the lookup joins the
active keys) or after ``idle_seconds`` without a request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from etagere.core.errors import Unauthenticated
from etagere.core.model import Caller
from etagere.domain.identity import IdentityService
from etagere.storage.metadata import Database
from etagere.storage.metadata import sessions as store
from etagere.storage.metadata.types import utcnow

# Activity is written at most this often per session, so reading pages stays read-only.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class ConsoleSession:
    """A live session: who it acts as, and the token unsafe requests must echo."""

    caller: Caller
    csrf_token: str


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the cookie secret is known only now."""

    secret: str
    session: ConsoleSession


class SessionService:
    """Opens, resolves and closes console sessions."""

    def __init__(self, db: Database, identity: IdentityService, idle_seconds: float) -> None:
        self.db = db
        self.identity = identity
        self.idle = timedelta(seconds=idle_seconds)

    def open(self, api_key: str) -> OpenedSession:
        """Sign in with an API key; ``Unauthenticated`` if the key does not work."""
        caller = self.identity.authenticate(api_key.strip())
        assert caller.key_id is not None  # authenticated callers always come from a key
        secret = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        with self.db.write() as conn:
            store.delete_idle_sessions(conn, now - self.idle)
            store.insert_session(conn, _hash(secret), caller.key_id, csrf, now)
        return OpenedSession(secret=secret, session=ConsoleSession(caller, csrf))

    def resolve(self, secret: str | None) -> ConsoleSession:
        """The live session behind a cookie secret, or ``Unauthenticated``."""
        if not secret:
            raise Unauthenticated("Not signed in")
        now = utcnow()
        token_hash = _hash(secret)
        with self.db.read() as conn:
            found = store.session_caller(conn, token_hash, now - self.idle)
        if found is None:
            raise Unauthenticated("Session expired or its API key was revoked: sign in again")
        caller, csrf, last_seen = found
        if now - last_seen >= TOUCH_INTERVAL:
            with self.db.write() as conn:
                store.touch_session(conn, token_hash, now)
        return ConsoleSession(caller, csrf)

    def close(self, secret: str | None) -> None:
        """Sign out: the cookie secret stops working at once."""
        if secret:
            with self.db.write() as conn:
                store.delete_session(conn, _hash(secret))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
