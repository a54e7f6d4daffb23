"""Every library method of the official mistralai SDK against a real server, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mistralai.client import Mistral, errors, models

from tests.conftest import client_for
from tests.support.servers import EtagereServer


def test_create_get_update_replace_delete(sdk: Mistral) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = sdk.beta.libraries.create(name="Research", description="papers", chunk_size=1024)
    assert isinstance(created, models.Library)
    assert created.name == "Research"
    assert created.description == "papers"
    assert created.chunk_size == 1024
    assert created.owner_type == "Workspace"
    assert created.nb_documents == 0 and created.total_size == 0
    assert created.created_at.tzinfo is not None and created.created_at >= before
    assert created.updated_at == created.created_at

    fetched = sdk.beta.libraries.get(library_id=created.id)
    assert fetched.model_dump() == created.model_dump()

    renamed = sdk.beta.libraries.update(library_id=created.id, name="Research 2")
    assert renamed.name == "Research 2"
    assert renamed.description == "papers", "PATCH without description keeps it"
    assert renamed.updated_at > created.updated_at

    replaced = sdk.beta.libraries.libraries_update_v1(
        library_id=created.id, name="Research 3", description=None
    )
    assert replaced.name == "Research 3"
    assert replaced.description is None, "an explicit null clears the description"
    assert sdk.beta.libraries.get(library_id=created.id).name == "Research 3"

    deleted = sdk.beta.libraries.delete(library_id=created.id)
    assert deleted.id == created.id
    with pytest.raises(errors.SDKError) as info:
        sdk.beta.libraries.get(library_id=created.id)
    assert info.value.status_code == 404


def test_user_owned_library_is_private(server: EtagereServer, sdk: Mistral) -> None:
    mine = sdk.beta.libraries.create(name="private notes", owner_type="User")
    assert mine.owner_type == "User"
    colleague = server.new_identity(org="default", workspace="default")
    other = client_for(server, colleague.key)
    assert mine.id not in {lib.id for lib in other.beta.libraries.list().data}
    with pytest.raises(errors.SDKError) as info:
        other.beta.libraries.get(library_id=mine.id)
    assert info.value.status_code == 404


def test_workspace_library_is_shared_with_members_as_editors(
    server: EtagereServer, sdk: Mistral
) -> None:
    shared = sdk.beta.libraries.create(name="team handbook")
    colleague = client_for(server, server.new_identity(org="default", workspace="default").key)
    assert shared.id in {lib.id for lib in colleague.beta.libraries.list().data}
    renamed = colleague.beta.libraries.update(library_id=shared.id, name="handbook v2")
    assert renamed.name == "handbook v2"
    with pytest.raises(errors.SDKError) as info:
        colleague.beta.libraries.delete(library_id=shared.id)
    assert info.value.status_code == 403, "only the owner deletes a library"
    assert sdk.beta.libraries.get(library_id=shared.id).name == "handbook v2"


def test_other_workspace_and_other_org_see_nothing(server: EtagereServer, sdk: Mistral) -> None:
    ours = sdk.beta.libraries.create(name="ours")
    other_ws = server.new_identity(org="default")
    other_org = server.new_identity()
    for identity in (other_ws, other_org):
        client = client_for(server, identity.key)
        assert client.beta.libraries.list().data == []
        for call in (
            lambda c: c.beta.libraries.get(library_id=ours.id),
            lambda c: c.beta.libraries.update(library_id=ours.id, name="stolen"),
            lambda c: c.beta.libraries.delete(library_id=ours.id),
        ):
            with pytest.raises(errors.SDKError) as info:
                call(client)
            assert info.value.status_code == 404
    assert sdk.beta.libraries.get(library_id=ours.id).name == "ours"


def test_unknown_library_is_404(sdk: Mistral) -> None:
    with pytest.raises(errors.SDKError) as info:
        sdk.beta.libraries.get(library_id="00000000-0000-4000-8000-000000000000")
    assert info.value.status_code == 404
    assert "not found" in info.value.body.lower()


@pytest.mark.parametrize("key", [None, "etg_not-a-real-key"])
def test_missing_or_bad_key_is_401(server: EtagereServer, key: str | None) -> None:
    client = Mistral(api_key=key, server_url=server.url) if key else Mistral(server_url=server.url)
    with pytest.raises(errors.SDKError) as info:
        client.beta.libraries.list()
    assert info.value.status_code == 401


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x", "chunk_size": 255},
        {"name": "x", "chunk_size": 32769},
    ],
)
def test_invalid_create_raises_validation_error(sdk: Mistral, kwargs: dict[str, object]) -> None:
    with pytest.raises(errors.HTTPValidationError) as info:
        sdk.beta.libraries.create(**kwargs)  # type: ignore[arg-type]
    detail = info.value.data.detail
    assert detail and detail[0].loc and detail[0].msg


def test_chunk_size_bounds_are_inclusive(sdk: Mistral) -> None:
    assert sdk.beta.libraries.create(name="a", chunk_size=256).chunk_size == 256
    assert sdk.beta.libraries.create(name="b", chunk_size=32768).chunk_size == 32768
    assert sdk.beta.libraries.create(name="c").chunk_size is None


def test_invalid_update_raises_validation_error(sdk: Mistral) -> None:
    lib = sdk.beta.libraries.create(name="keep me")
    with pytest.raises(errors.HTTPValidationError):
        sdk.beta.libraries.update(library_id=lib.id, name="")
    assert sdk.beta.libraries.get(library_id=lib.id).name == "keep me"
