"""The admin commands for memberships and keys: add-member, remove-member, revoke-key, list-keys.

Changes made with the CLI take effect on a running server at once: a revoked key and a key of a
removed member answer 401 on the next request, and grants to a workspace stop reaching a user
who left it.
"""

from __future__ import annotations

import json
import uuid

import pytest
from mistralai.client import Mistral, errors

from tests.conftest import ServerFactory, client_for
from tests.support.servers import StoreLocation, admin, run_cli


def error_status(client: Mistral, library_id: str | None = None) -> int:
    with pytest.raises(errors.SDKError) as info:
        if library_id is None:
            client.beta.libraries.list()
        else:
            client.beta.libraries.get(library_id=library_id)
    return info.value.status_code


def test_membership_changes_take_effect_at_once(
    store: StoreLocation, start_server: ServerFactory
) -> None:
    server = start_server()
    admin(store, "create-workspace", "--org", "default", "alpha")
    beta = admin(store, "create-workspace", "--org", "default", "beta")
    ada = admin(store, "create-user", "--org", "default", "--workspace", "alpha", "ada@example.com")
    key_alpha = admin(store, "create-key", "--user", "ada@example.com", "--workspace", "alpha")

    added = admin(store, "add-member", "--workspace", "beta", "Ada@Example.com")
    assert (added["workspace_id"], added["user_id"]) == (beta["id"], ada["id"])
    again = run_cli(
        store, "admin", "add-member", "--workspace", "beta", ada["id"], "--json", check=False
    )
    assert again.returncode == 1 and json.loads(again.stdout)["error"] == "conflict"
    key_beta = admin(store, "create-key", "--user", ada["id"], "--workspace", "beta")

    owner = client_for(server, server.api_key)
    lib = owner.beta.libraries.create(name="for beta", owner_type="User")
    owner.beta.libraries.accesses.update_or_create(
        library_id=lib.id, level="Viewer", share_with_uuid=beta["id"], share_with_type="Workspace"
    )
    in_alpha, in_beta = client_for(server, key_alpha["key"]), client_for(server, key_beta["key"])
    assert in_alpha.beta.libraries.get(library_id=lib.id).id == lib.id, (
        "a workspace grant reaches its members whatever workspace their key acts in"
    )
    assert lib.id in {x.id for x in in_beta.beta.libraries.list().data}

    removed = admin(store, "remove-member", "--workspace", beta["id"], "ada@example.com")
    assert removed["workspace"] == "beta"
    assert error_status(in_beta) == 401, "a key acting in a workspace the user left stops at once"
    assert error_status(in_alpha, lib.id) == 404, "the workspace grant no longer reaches the user"
    assert in_alpha.beta.libraries.list().data == []
    gone = run_cli(
        store, "admin", "remove-member", "--workspace", "beta", ada["id"], "--json", check=False
    )
    assert gone.returncode == 1 and json.loads(gone.stdout)["error"] == "not_found"


def test_list_keys_never_shows_them_and_revoked_keys_stop_at_once(
    store: StoreLocation, start_server: ServerFactory
) -> None:
    server = start_server()
    admin(store, "create-user", "--org", "default", "--workspace", "default", "bob@example.com")
    laptop = admin(store, "create-key", "--user", "bob@example.com", "--name", "laptop")
    ci = admin(store, "create-key", "--user", "bob@example.com", "--name", "ci")

    listed = admin(store, "list-keys", "--user", "bob@example.com")["keys"]
    assert [k["name"] for k in listed] == ["laptop", "ci"]
    assert set(listed[0]) == {
        "id",
        "name",
        "prefix",
        "user_id",
        "user",
        "workspace_id",
        "workspace",
        "created_at",
        "revoked_at",
    }
    assert listed[0]["id"] == laptop["id"] and listed[0]["prefix"] == laptop["key"][:8]
    assert (listed[0]["user"], listed[0]["workspace"]) == ("bob@example.com", "default")
    assert listed[0]["revoked_at"] is None
    everything = admin(store, "list-keys")["keys"]
    assert len(everything) == 3, "the bootstrap key and bob's two"
    printed = run_cli(store, "admin", "list-keys").stdout + json.dumps(everything)
    for secret in (laptop["key"], ci["key"], server.api_key):
        assert secret not in printed

    client = client_for(server, laptop["key"])
    assert client.beta.libraries.list().data == []
    revoked = admin(store, "revoke-key", laptop["id"])
    assert revoked["id"] == laptop["id"] and revoked["revoked_at"]
    assert error_status(client) == 401
    assert client_for(server, ci["key"]).beta.libraries.list().data == []
    after = {
        k["name"]: k["revoked_at"]
        for k in admin(store, "list-keys", "--user", "bob@example.com")["keys"]
    }
    assert after["laptop"] is not None and after["ci"] is None
    assert admin(store, "revoke-key", laptop["id"])["revoked_at"] == revoked["revoked_at"], (
        "revoking twice keeps the first revocation"
    )
    for unknown in (str(uuid.uuid4()), "not-a-key-id"):
        result = run_cli(store, "admin", "revoke-key", unknown, "--json", check=False)
        assert result.returncode == 1 and json.loads(result.stdout)["error"] == "not_found"
