"""Sharing with the official SDK (``beta.libraries.accesses``) against a real server, both stores.

The lifecycle of a grant (create, upgrade, downgrade, revoke, self-removal), grants through a
workspace and the whole org, the owner's rules and the organization boundary.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from mistralai.client import Mistral, errors, models

from tests.conftest import BACKENDS, client_for
from tests.support.documents import upload_bytes
from tests.support.people import Directory, Person, module_store
from tests.support.servers import EtagereServer

# SDK 3.7.0 types share_with_type as User | Workspace; "Org" still goes through.
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")


@dataclass
class Env:
    server: EtagereServer
    people: Directory

    def sdk(self, person: Person) -> Mistral:
        return client_for(self.server, person.key)


@pytest.fixture(scope="module", params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One server per backend for this module; every test makes its own people and libraries."""
    backend: str = request.param
    pg = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    with module_store(backend, tmp_path_factory.mktemp(f"sharing-{backend}"), pg) as store:
        server = EtagereServer(store=store).start()
        people = Directory(store)
        try:
            yield Env(server=server, people=people)
        finally:
            people.close()
            server.stop()


def error_status(call: Callable[[], object]) -> int:
    with pytest.raises(errors.SDKError) as info:
        call()
    return info.value.status_code


def visible_ids(client: Mistral) -> set[str]:
    return {lib.id for lib in client.beta.libraries.list().data}


def share(
    client: Mistral, library_id: str, target: str, kind: str = "User", level: str = "Viewer"
) -> models.Sharing:
    return client.beta.libraries.accesses.update_or_create(
        library_id=library_id,
        level=level,  # type: ignore[arg-type]
        share_with_uuid=target,
        share_with_type=kind,  # type: ignore[arg-type]
    )


def unshare(client: Mistral, library_id: str, target: str, kind: str = "User") -> models.Sharing:
    removed = client.beta.libraries.accesses.delete(
        library_id=library_id,
        share_with_uuid=target,
        share_with_type=kind,  # type: ignore[arg-type]
    )
    assert removed is not None
    return removed


def accesses(client: Mistral, library_id: str) -> set[tuple[str, str | None, str]]:
    listed = client.beta.libraries.accesses.list(library_id=library_id).data
    return {(a.share_with_type, a.share_with_uuid, a.role) for a in listed}


def test_grant_upgrade_downgrade_revoke(env: Env) -> None:
    owner, colleague = env.people.person(), env.people.person()
    mine, theirs = env.sdk(owner), env.sdk(colleague)
    lib = mine.beta.libraries.create(name="private notes", owner_type="User")
    assert error_status(lambda: theirs.beta.libraries.get(library_id=lib.id)) == 404

    granted = share(mine, lib.id, colleague.user_id)
    assert isinstance(granted, models.Sharing)
    assert (granted.library_id, granted.org_id, granted.role) == (lib.id, owner.org_id, "Viewer")
    assert (granted.share_with_type, granted.share_with_uuid) == ("User", colleague.user_id)
    assert theirs.beta.libraries.get(library_id=lib.id).name == "private notes"
    assert lib.id in visible_ids(theirs)
    assert mine.beta.libraries.get(library_id=lib.id).explicit_user_members_count == 1
    assert error_status(lambda: theirs.beta.libraries.update(library_id=lib.id, name="x")) == 403

    upgraded = share(mine, lib.id, colleague.user_id, level="Editor")
    assert upgraded.role == "Editor"
    assert theirs.beta.libraries.update(library_id=lib.id, name="our notes").name == "our notes"
    assert error_status(lambda: theirs.beta.libraries.delete(library_id=lib.id)) == 403
    assert error_status(lambda: share(theirs, lib.id, colleague.user_id, level="Viewer")) == 403
    assert accesses(theirs, lib.id) == {
        ("User", owner.user_id, "Owner"),
        ("User", colleague.user_id, "Editor"),
    }

    assert share(mine, lib.id, colleague.user_id).role == "Viewer"
    assert error_status(lambda: theirs.beta.libraries.update(library_id=lib.id, name="y")) == 403
    assert mine.beta.libraries.get(library_id=lib.id).explicit_user_members_count == 1

    removed = unshare(mine, lib.id, colleague.user_id)
    assert (removed.share_with_uuid, removed.role) == (colleague.user_id, "Viewer")
    assert error_status(lambda: theirs.beta.libraries.get(library_id=lib.id)) == 404
    assert lib.id not in visible_ids(theirs)
    assert mine.beta.libraries.get(library_id=lib.id).explicit_user_members_count == 0
    assert error_status(lambda: unshare(mine, lib.id, colleague.user_id)) == 404


def test_workspace_and_org_grants_and_the_highest_role_wins(env: Env) -> None:
    owner = env.people.person()
    team = env.people.workspace()
    teammate = env.people.person(workspace=team)
    stranger = env.people.person()  # same org, no grant
    mine, theirs, outsider = env.sdk(owner), env.sdk(teammate), env.sdk(stranger)
    lib = mine.beta.libraries.create(name="handbook", owner_type="User")

    assert share(mine, lib.id, team, kind="Workspace", level="Editor").role == "Editor"
    assert share(mine, lib.id, teammate.user_id, level="Viewer").role == "Viewer"
    assert theirs.beta.libraries.update(library_id=lib.id, name="handbook 2").name == "handbook 2"
    assert lib.id not in visible_ids(outsider)

    assert share(mine, lib.id, owner.org_id, kind="Org").role == "Viewer"
    seen = mine.beta.libraries.get(library_id=lib.id)
    assert (seen.explicit_user_members_count, seen.explicit_workspace_members_count) == (1, 1)
    assert seen.org_sharing_role == "Viewer"
    assert lib.id in visible_ids(outsider)
    assert outsider.beta.libraries.get(library_id=lib.id).name == "handbook 2"
    assert error_status(lambda: outsider.beta.libraries.update(library_id=lib.id, name="z")) == 403
    listed = {(x.id, x.org_sharing_role) for x in outsider.beta.libraries.list().data}
    assert (lib.id, "Viewer") in listed

    unshare(mine, lib.id, team, kind="Workspace")
    assert error_status(lambda: theirs.beta.libraries.update(library_id=lib.id, name="w")) == 403
    assert theirs.beta.libraries.get(library_id=lib.id).explicit_workspace_members_count == 0

    share(mine, lib.id, owner.org_id, kind="Org", level="Editor")
    assert outsider.beta.libraries.update(library_id=lib.id, name="org").name == "org"
    assert mine.beta.libraries.get(library_id=lib.id).org_sharing_role == "Editor"
    unshare(mine, lib.id, owner.org_id, kind="Org")
    assert error_status(lambda: outsider.beta.libraries.get(library_id=lib.id)) == 404
    assert mine.beta.libraries.get(library_id=lib.id).org_sharing_role is None


def test_members_remove_their_own_access_only(env: Env) -> None:
    owner, viewer, editor = env.people.person(), env.people.person(), env.people.person()
    mine = env.sdk(owner)
    lib = mine.beta.libraries.create(name="shared", owner_type="User")
    share(mine, lib.id, viewer.user_id)
    share(mine, lib.id, editor.user_id, level="Editor")
    as_editor, as_viewer = env.sdk(editor), env.sdk(viewer)

    assert error_status(lambda: unshare(as_editor, lib.id, viewer.user_id)) == 403
    assert error_status(lambda: unshare(as_editor, lib.id, owner.user_id)) == 403
    left = unshare(as_viewer, lib.id, viewer.user_id)
    assert (left.share_with_uuid, left.role) == (viewer.user_id, "Viewer")
    assert error_status(lambda: as_viewer.beta.libraries.get(library_id=lib.id)) == 404
    assert error_status(lambda: unshare(as_viewer, lib.id, viewer.user_id)) == 404
    assert unshare(as_editor, lib.id, editor.user_id).role == "Editor"
    assert accesses(mine, lib.id) == {("User", owner.user_id, "Owner")}


def test_owner_rules(env: Env) -> None:
    owner = env.people.person()
    member = env.people.person(workspace=owner.workspace_id)
    mine, colleague = env.sdk(owner), env.sdk(member)
    lib = mine.beta.libraries.create(name="team library")  # owned by the workspace
    assert lib.owner_type == "Workspace" and lib.owner_id == owner.workspace_id
    assert accesses(colleague, lib.id) == {
        ("Workspace", owner.workspace_id, "Owner"),
        ("User", owner.user_id, "Owner"),
    }

    for call in (
        lambda: share(mine, lib.id, owner.user_id, level="Viewer"),
        lambda: unshare(mine, lib.id, owner.user_id),
        lambda: share(mine, lib.id, owner.workspace_id, kind="Workspace"),
        lambda: unshare(mine, lib.id, owner.workspace_id, kind="Workspace"),
    ):
        assert error_status(call) == 409
    assert error_status(lambda: unshare(colleague, lib.id, owner.user_id)) == 403
    assert error_status(lambda: share(colleague, lib.id, member.user_id, level="Editor")) == 403
    assert error_status(lambda: unshare(colleague, lib.id, member.user_id)) == 404, (
        "a workspace member holds no grant of its own to remove"
    )
    assert error_status(lambda: colleague.beta.libraries.delete(library_id=lib.id)) == 403

    other = env.people.person()
    share(mine, lib.id, other.user_id, level="Editor")
    as_editor = env.sdk(other)
    assert error_status(lambda: as_editor.beta.libraries.delete(library_id=lib.id)) == 403
    doc = upload_bytes(as_editor, lib.id, "editor.txt", b"written by an editor via a grant\n")
    assert as_editor.beta.libraries.documents.get(library_id=lib.id, document_id=doc.id).id
    assert mine.beta.libraries.delete(library_id=lib.id).id == lib.id
    assert error_status(lambda: as_editor.beta.libraries.get(library_id=lib.id)) == 404


def test_nothing_is_shared_outside_the_organization(env: Env) -> None:
    owner, foreigner = env.people.person(), env.people.person(org=env.people.org())
    mine = env.sdk(owner)
    lib = mine.beta.libraries.create(name="internal", owner_type="User")
    unknown = str(uuid.uuid4())
    for target, kind in (
        (foreigner.user_id, "User"),
        (foreigner.workspace_id, "Workspace"),
        (foreigner.org_id, "Org"),
        (unknown, "User"),
        (unknown, "Workspace"),
        (unknown, "Org"),
        (owner.workspace_id, "User"),  # a workspace id is not a user
    ):
        status = error_status(lambda t=target, k=kind: share(mine, lib.id, t, kind=k))
        assert status == 404, (target, kind)
    with pytest.raises(errors.HTTPValidationError):
        mine.beta.libraries.accesses.update_or_create(
            library_id=lib.id,
            level="Viewer",
            share_with_uuid=env.people.person().user_id,
            share_with_type="User",
            org_id=foreigner.org_id,
        )
    with pytest.raises(errors.HTTPValidationError):
        share(mine, lib.id, "not-a-uuid")
    with pytest.raises(errors.HTTPValidationError):
        share(mine, lib.id, foreigner.user_id, level="Owner")
    with pytest.raises(errors.HTTPValidationError):
        share(mine, lib.id, foreigner.user_id, kind="Planet")
    assert accesses(mine, lib.id) == {("User", owner.user_id, "Owner")}
    assert error_status(lambda: env.sdk(foreigner).beta.libraries.get(library_id=lib.id)) == 404
    assert error_status(lambda: share(env.sdk(foreigner), lib.id, foreigner.user_id)) == 404


def test_share_wire_format(env: Env) -> None:
    owner, colleague = env.people.person(), env.people.person()
    mine = env.sdk(owner)
    lib = mine.beta.libraries.create(name="wire")
    share(mine, lib.id, colleague.user_id, level="Editor")
    share(mine, lib.id, owner.org_id, kind="Org")
    with env.server.http(owner.key) as http:
        listed = http.get(f"/v1/libraries/{lib.id}/share")
        body = {
            "share_with_uuid": colleague.user_id,
            "share_with_type": "User",
        }
        removed = http.request("DELETE", f"/v1/libraries/{lib.id}/share", json=body)
        library = http.get(f"/v1/libraries/{lib.id}").json()
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json"
    rows = listed.json()["data"]
    keys = {"library_id", "org_id", "role", "share_with_type", "share_with_uuid", "user_id"}
    assert all(set(row) == keys for row in rows)
    assert all(row["org_id"] == owner.org_id and row["library_id"] == lib.id for row in rows)
    assert [(r["share_with_type"], r["role"]) for r in rows] == [
        ("Workspace", "Owner"),
        ("User", "Owner"),
        ("Org", "Viewer"),
        ("User", "Editor"),
    ]
    assert rows[-1]["user_id"] == colleague.user_id and rows[2]["user_id"] is None
    assert removed.status_code == 200 and removed.json()["role"] == "Editor"
    assert library["explicit_user_members_count"] == 0
    assert library["explicit_workspace_members_count"] == 0
    assert library["org_sharing_role"] == "Viewer"
