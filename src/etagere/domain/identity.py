"""Organizations, workspaces, users and API keys: creation, key checking, first-start bootstrap."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from etagere.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from etagere.core.model import ApiKey, ApiKeyListing, Caller, Organization, User, Workspace
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import identities as store
from etagere.storage.metadata.types import utcnow

KEY_PREFIX = "etg_"
DEFAULT_ORG = "default"
DEFAULT_WORKSPACE = "default"
DEFAULT_USER = "admin@localhost"


def hash_key(key: str) -> str:
    """Keys are 256-bit random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created API key: the only moment its secret is known."""

    key: ApiKey
    secret: str


@dataclass(frozen=True)
class Bootstrap:
    """What first start created: the default identities and the key to give the operator."""

    organization: Organization
    workspace: Workspace
    user: User
    issued: IssuedKey


class IdentityService:
    """Administration of identities and authentication of API keys."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def authenticate(self, secret: str | None) -> Caller:
        """The caller behind a bearer token, or ``Unauthenticated``."""
        if not secret:
            raise Unauthenticated("Missing API key: send 'Authorization: Bearer <key>'")
        with self.db.read() as conn:
            caller = store.caller_for_key_hash(conn, hash_key(secret))
        if caller is None:
            raise Unauthenticated("Invalid or revoked API key")
        return caller

    def create_organization(self, name: str) -> Organization:
        name = _required(name, "name")
        org = Organization(id=uuid.uuid4(), name=name, created_at=utcnow())
        with self.db.write() as conn:
            if store.find_organization(conn, name) is not None:
                raise Conflict(f"Organization {name!r} already exists")
            store.insert_organization(conn, org)
        return org

    def create_workspace(self, org_ref: str, name: str) -> Workspace:
        name = _required(name, "name")
        with self.db.write() as conn:
            org = self._organization(conn, org_ref)
            if store.find_workspace(conn, org.id, name) is not None:
                raise Conflict(f"Workspace {name!r} already exists in {org.name!r}")
            ws = Workspace(id=uuid.uuid4(), org_id=org.id, name=name, created_at=utcnow())
            store.insert_workspace(conn, ws)
        return ws

    def create_user(self, org_ref: str, email: str, workspace_ref: str | None = None) -> User:
        email = _required(email, "email").lower()
        with self.db.write() as conn:
            org = self._organization(conn, org_ref)
            if store.find_user(conn, email, org.id):
                raise Conflict(f"User {email!r} already exists in {org.name!r}")
            user = User(id=uuid.uuid4(), org_id=org.id, email=email, created_at=utcnow())
            store.insert_user(conn, user)
            if workspace_ref is not None:
                ws = self._workspace(conn, org.id, workspace_ref)
                store.insert_membership(conn, ws.id, user.id, utcnow())
        return user

    def create_key(
        self,
        user_ref: str,
        workspace_ref: str | None = None,
        name: str = "default",
        secret: str | None = None,
    ) -> IssuedKey:
        """Issue a key for a user acting in one of its workspaces (the only one if not named)."""
        with self.db.write() as conn:
            user = self._user(conn, user_ref)
            ws = self._key_workspace(conn, user, workspace_ref)
            return _issue_key(conn, user, ws, name, secret)

    def add_member(self, workspace_ref: str, user_ref: str) -> tuple[Workspace, User]:
        """Add a user to a workspace of its organization."""
        with self.db.write() as conn:
            user = self._user(conn, user_ref)
            ws = self._workspace(conn, user.org_id, workspace_ref)
            if store.is_member(conn, ws.id, user.id):
                raise Conflict(f"User {user.email!r} is already a member of {ws.name!r}")
            store.insert_membership(conn, ws.id, user.id, utcnow())
        return ws, user

    def remove_member(self, workspace_ref: str, user_ref: str) -> tuple[Workspace, User]:
        """Remove a user from a workspace; its keys acting in that workspace stop working."""
        with self.db.write() as conn:
            user = self._user(conn, user_ref)
            ws = self._workspace(conn, user.org_id, workspace_ref)
            if not store.delete_membership(conn, ws.id, user.id):
                raise NotFound(f"User {user.email!r} is not a member of {ws.name!r}")
        return ws, user

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key at once (revoking a revoked key changes nothing)."""
        with self.db.write() as conn:
            key = store.find_api_key(conn, _uuid_or_not_found(key_id, "API key"))
            if key is None:
                raise NotFound(f"API key {key_id!r} not found")
            if key.revoked_at is None:
                store.revoke_api_key(conn, key.id, utcnow())
                key = store.find_api_key(conn, key.id) or key
        return key

    def list_keys(self, user_ref: str | None = None) -> list[ApiKeyListing]:
        """Every key, or one user's keys, without their secrets."""
        with self.db.read() as conn:
            user_id = self._user(conn, user_ref).id if user_ref is not None else None
            return store.list_api_keys(conn, user_id)

    def own_keys(self, caller: Caller) -> list[ApiKeyListing]:
        """The caller's own keys, without their secrets (what the console's keys page lists)."""
        with self.db.read() as conn:
            return store.list_api_keys(conn, caller.user_id)

    def create_own_key(self, caller: Caller, name: str) -> IssuedKey:
        """A new key for the caller, acting in the caller's current workspace."""
        name = _required(name, "name")
        with self.db.write() as conn:
            user = self._user(conn, str(caller.user_id))
            ws = self._workspace(conn, caller.org_id, str(caller.workspace_id))
            return _issue_key(conn, user, ws, name, None)

    def revoke_own_key(self, caller: Caller, key_id: str) -> ApiKey:
        """Revoke one of the caller's keys; another user's key is ``NotFound``."""
        with self.db.write() as conn:
            key = store.find_api_key(conn, _uuid_or_not_found(key_id, "API key"))
            if key is None or key.user_id != caller.user_id:
                raise NotFound(f"API key {key_id!r} not found")
        return self.revoke_key(key_id)

    def directory(self, caller: Caller) -> tuple[list[User], list[Workspace]]:
        """Users and workspaces of the caller's organization: who a library can be shared with."""
        with self.db.read() as conn:
            return store.org_directory(conn, caller.org_id)

    def bootstrap(self, seed_key: str | None) -> Bootstrap | None:
        """On an empty store, create the default org, workspace, user and key; else nothing."""
        with self.db.write() as conn:
            store.lock_bootstrap(conn)
            if store.count_organizations(conn) > 0:
                return None
            now = utcnow()
            org = Organization(id=uuid.uuid4(), name=DEFAULT_ORG, created_at=now)
            ws = Workspace(id=uuid.uuid4(), org_id=org.id, name=DEFAULT_WORKSPACE, created_at=now)
            user = User(id=uuid.uuid4(), org_id=org.id, email=DEFAULT_USER, created_at=now)
            store.insert_organization(conn, org)
            store.insert_workspace(conn, ws)
            store.insert_user(conn, user)
            store.insert_membership(conn, ws.id, user.id, now)
            issued = _issue_key(conn, user, ws, "bootstrap", seed_key)
        return Bootstrap(organization=org, workspace=ws, user=user, issued=issued)

    def _organization(self, conn: Connection, ref: str) -> Organization:
        org = store.find_organization(conn, ref)
        if org is None:
            raise NotFound(f"Organization {ref!r} not found")
        return org

    def _workspace(self, conn: Connection, org_id: uuid.UUID, ref: str) -> Workspace:
        ws = store.find_workspace(conn, org_id, ref)
        if ws is None:
            raise NotFound(f"Workspace {ref!r} not found in this organization")
        return ws

    def _user(self, conn: Connection, ref: str) -> User:
        found = store.find_user(conn, ref.lower() if "@" in ref else ref)
        if not found:
            raise NotFound(f"User {ref!r} not found")
        if len(found) > 1:
            raise Conflict(f"{ref!r} matches users in several organizations; pass the user id")
        return found[0]

    def _key_workspace(self, conn: Connection, user: User, ref: str | None) -> Workspace:
        if ref is not None:
            ws = self._workspace(conn, user.org_id, ref)
            if not store.is_member(conn, ws.id, user.id):
                raise InvalidInput(f"User {user.email!r} is not a member of workspace {ws.name!r}")
            return ws
        memberships = store.user_workspaces(conn, user.id)
        if len(memberships) != 1:
            raise InvalidInput(
                f"User {user.email!r} belongs to {len(memberships)} workspaces; "
                "name one with --workspace"
            )
        return memberships[0]


def _issue_key(
    conn: Connection, user: User, ws: Workspace, name: str, secret: str | None
) -> IssuedKey:
    secret = secret or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        user_id=user.id,
        workspace_id=ws.id,
        name=name,
        prefix=secret[:8],
        created_at=utcnow(),
        revoked_at=None,
    )
    store.insert_api_key(conn, key, hash_key(secret))
    return IssuedKey(key=key, secret=secret)


def _required(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} must not be empty", (field,))
    return value


def _uuid_or_not_found(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"{what} {value!r} not found") from exc
