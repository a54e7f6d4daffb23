"""Console sessions in the domain, on both stores: idle expiry, sign-out and revocation end them."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from etagere.core.errors import Unauthenticated
from etagere.domain.identity import IdentityService
from etagere.domain.sessions import SessionService
from etagere.storage.metadata import Database
from etagere.storage.metadata import sessions as store
from etagere.storage.metadata.types import utcnow


@pytest.fixture
def identity(db: Database) -> IdentityService:
    return IdentityService(db)


def _key(identity: IdentityService) -> tuple[str, str]:
    identity.create_organization("org")
    identity.create_workspace("org", "ws")
    user = identity.create_user("org", "a@example.com", "ws")
    issued = identity.create_key(str(user.id))
    return issued.secret, str(issued.key.id)


def test_idle_session_expires(identity: IdentityService) -> None:
    sessions = SessionService(identity.db, identity, idle_seconds=600)
    secret, _ = _key(identity)
    opened = sessions.open(secret)
    assert sessions.resolve(opened.secret).caller == opened.session.caller
    token_hash = hashlib.sha256(opened.secret.encode()).hexdigest()
    with identity.db.write() as conn:  # as if the browser had been away for 11 minutes
        store.touch_session(conn, token_hash, utcnow() - timedelta(minutes=11))
    with pytest.raises(Unauthenticated):
        sessions.resolve(opened.secret)


def test_sign_out_and_revocation_end_sessions(identity: IdentityService) -> None:
    sessions = SessionService(identity.db, identity, idle_seconds=600)
    secret, key_id = _key(identity)
    signed_out, revoked = sessions.open(secret), sessions.open(secret)
    sessions.close(signed_out.secret)
    with pytest.raises(Unauthenticated):
        sessions.resolve(signed_out.secret)
    assert sessions.resolve(revoked.secret).csrf_token == revoked.session.csrf_token
    identity.revoke_key(key_id)
    with pytest.raises(Unauthenticated):
        sessions.resolve(revoked.secret)
    with pytest.raises(Unauthenticated):
        sessions.open(secret)
