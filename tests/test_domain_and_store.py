"""Domain services and the metadata store, in-process, on real SQLite files and PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from etagere.core import errors
from etagere.core.model import Caller, OwnerType, Role
from etagere.domain.access import require_library
from etagere.domain.identity import IdentityService
from etagere.domain.libraries import LibraryChanges, LibraryService, decode_cursor, encode_cursor
from etagere.http.errors import STATUS_BY_ERROR, status_for
from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import libraries


def make_caller(identity: IdentityService, org: str, workspace: str) -> Caller:
    user = identity.create_user(org, f"{uuid.uuid4().hex[:8]}@example.com", workspace)
    issued = identity.create_key(user.id.hex, workspace)
    return identity.authenticate(issued.secret)


@pytest.fixture
def identity(db: Database) -> IdentityService:
    svc = IdentityService(db)
    svc.create_organization("acme")
    svc.create_workspace("acme", "research")
    svc.create_workspace("acme", "sales")
    svc.create_organization("globex")
    svc.create_workspace("globex", "main")
    return svc


def test_migrations_are_idempotent_and_safe_concurrently(db: Database) -> None:
    others = [Database(db.engine.url.render_as_string(hide_password=False)) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda d: d.migrate(), others))
    for other in others:
        other.close()
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def test_timestamps_round_trip_as_utc(
    db: Database, identity: IdentityService, library_service: LibraryService
) -> None:
    caller = make_caller(identity, "acme", "research")
    view = library_service.create(caller, "t")
    paris = timezone(timedelta(hours=1))
    local = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=paris)
    with db.write() as conn:
        conn.execute(
            libraries.update().where(libraries.c.id == view.library.id).values(updated_at=local)
        )
    stored = library_service.get(caller, view.library.id).library.updated_at
    assert stored == local and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_roles_owner_member_outsider(
    db: Database, identity: IdentityService, library_service: LibraryService
) -> None:
    owner = make_caller(identity, "acme", "research")
    member = make_caller(identity, "acme", "research")
    other_ws = make_caller(identity, "acme", "sales")
    other_org = make_caller(identity, "globex", "main")
    svc = library_service
    shared = svc.create(owner, "shared").library
    private = svc.create(owner, "private", owner_type=OwnerType.USER).library
    with db.read() as conn:
        assert require_library(conn, owner, shared.id, Role.OWNER).role is Role.OWNER
        assert require_library(conn, member, shared.id, Role.EDITOR).role is Role.EDITOR
        with pytest.raises(errors.Forbidden):
            require_library(conn, member, shared.id, Role.OWNER)
        for outsider in (other_ws, other_org):
            with pytest.raises(errors.NotFound):
                require_library(conn, outsider, shared.id, Role.VIEWER)
        with pytest.raises(errors.NotFound):
            require_library(conn, member, private.id, Role.VIEWER)
        assert require_library(conn, owner, private.id, Role.OWNER).library == private


def test_update_and_delete_rules(
    db: Database, identity: IdentityService, library_service: LibraryService
) -> None:
    owner = make_caller(identity, "acme", "research")
    member = make_caller(identity, "acme", "research")
    svc = library_service
    lib = svc.create(owner, "  spaced  ", description="d").library
    assert lib.name == "spaced"
    unchanged = svc.update(member, lib.id, LibraryChanges())
    assert unchanged.library.updated_at == lib.updated_at
    cleared = svc.update(member, lib.id, LibraryChanges(description=None, description_set=True))
    assert cleared.library.description is None and cleared.library.name == "spaced"
    with pytest.raises(errors.InvalidInput):
        svc.update(owner, lib.id, LibraryChanges(name="   "))
    with pytest.raises(errors.Forbidden):
        svc.delete(member, lib.id)
    svc.delete(owner, lib.id)
    with pytest.raises(errors.NotFound):
        svc.get(owner, lib.id)


def test_concurrent_creates_all_land(
    db: Database, identity: IdentityService, library_service: LibraryService
) -> None:
    caller = make_caller(identity, "acme", "research")
    svc = library_service
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: svc.create(caller, f"lib {i}"), range(40)))
    page = svc.list(caller, page_size=100)
    assert len(page.items) == 40 and page.next_page_token is None


def test_authentication(db: Database, identity: IdentityService) -> None:
    user = identity.create_user("acme", "k@example.com", "research")
    issued = identity.create_key("k@example.com")
    caller = identity.authenticate(issued.secret)
    assert caller.user_id == user.id and caller.key_id == issued.key.id
    for bad in (None, "", issued.secret + "x", issued.secret.upper()):
        with pytest.raises(errors.Unauthenticated):
            identity.authenticate(bad)
    with pytest.raises(errors.InvalidInput):
        identity.create_key("k@example.com", "sales")  # not a member of sales


def test_bootstrap_runs_once(db: Database) -> None:
    svc = IdentityService(db)
    first = svc.bootstrap("etg_seeded")
    assert first is not None and first.issued.secret == "etg_seeded"
    assert svc.authenticate("etg_seeded").user_id == first.user.id
    assert svc.bootstrap(None) is None


def test_cursor_round_trip_and_forgery() -> None:
    from etagere.core.model import Library

    now = datetime.now(UTC)
    lib = Library(
        uuid.uuid4(),
        uuid.uuid4(),
        "n",
        None,
        None,
        OwnerType.USER,
        uuid.uuid4(),
        uuid.uuid4(),
        0,
        0,
        now,
        now,
    )
    assert decode_cursor(encode_cursor(lib)) == (now, lib.id)
    for forged in ("", "abc", "eyJ0IjogMX0", encode_cursor(lib)[:-3]):
        with pytest.raises(errors.InvalidInput):
            decode_cursor(forged)


def test_every_domain_error_has_a_status() -> None:
    classes = errors.DomainError.__subclasses__()
    assert set(classes) == set(STATUS_BY_ERROR)
    assert {status_for(cls("x")) for cls in classes} == {401, 403, 404, 409, 413, 415, 422, 503}
