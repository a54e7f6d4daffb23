"""Listing: cursor walks, deprecated offset pages, search, and the SDK's always-sent page=0."""

from __future__ import annotations

import pytest
from mistralai.client import Mistral, errors

from tests.support.servers import EtagereServer

N_LIBRARIES = 23


@pytest.fixture
def names(sdk: Mistral) -> list[str]:
    created = [f"Library {i:02d}" for i in range(N_LIBRARIES)]
    for name in created:
        sdk.beta.libraries.create(name=name)
    return created


def test_token_walk_visits_every_library_once(sdk: Mistral, names: list[str]) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = sdk.beta.libraries.list(page_size=5, page_token=token)
        pages += 1
        seen += [lib.name for lib in page.data]
        if token is not None:
            assert page.pagination is None, "a token page does not answer deprecated pagination"
        token = page.next_page_token
        if token is None:
            break
    assert pages == 5
    assert sorted(seen) == sorted(names)
    assert seen == sorted(seen, reverse=True), "newest first"


def test_token_walk_is_stable_while_libraries_are_added(sdk: Mistral, names: list[str]) -> None:
    first = sdk.beta.libraries.list(page_size=10)
    sdk.beta.libraries.create(name="added during the walk")
    seen = [lib.name for lib in first.data]
    token = first.next_page_token
    while token:
        page = sdk.beta.libraries.list(page_size=10, page_token=token)
        seen += [lib.name for lib in page.data]
        token = page.next_page_token
    assert sorted(seen) == sorted(names), "newer libraries do not shift a walk already started"


def test_offset_pages_with_pagination(sdk: Mistral, names: list[str]) -> None:
    seen: list[str] = []
    for number in range(3):
        page = sdk.beta.libraries.list(page_size=10, page=number)
        assert page.pagination is not None
        assert page.pagination.total_items == N_LIBRARIES
        assert page.pagination.total_pages == 3
        assert page.pagination.current_page == number
        assert page.pagination.page_size == 10
        assert page.pagination.has_more is (number < 2)
        seen += [lib.name for lib in page.data]
    assert sorted(seen) == sorted(names)
    beyond = sdk.beta.libraries.list(page_size=10, page=3)
    assert beyond.data == [] and beyond.next_page_token is None


def test_token_wins_over_page(server: EtagereServer, names: list[str]) -> None:
    with server.http() as http:
        first = http.get("/v1/libraries", params={"page_size": 10}).json()
        token = first["next_page_token"]
        second = http.get(
            "/v1/libraries", params={"page_size": 10, "page": 0, "page_token": token}
        ).json()
    assert not {lib["id"] for lib in first["data"]} & {lib["id"] for lib in second["data"]}
    assert "pagination" not in second or second["pagination"] is None


def test_search_is_case_insensitive_substring(sdk: Mistral, names: list[str]) -> None:
    sdk.beta.libraries.create(name="Quarterly REPORTS 100%_done")
    assert [lib.name for lib in sdk.beta.libraries.list(search="reports").data] == [
        "Quarterly REPORTS 100%_done"
    ]
    assert len(sdk.beta.libraries.list(search="library 1").data) == 10
    assert len(sdk.beta.libraries.list(search="%").data) == 1, "LIKE wildcards are literal"
    assert sdk.beta.libraries.list(search="nothing like this").data == []


def test_search_combines_with_token_walk(sdk: Mistral, names: list[str]) -> None:
    seen: list[str] = []
    token = None
    while True:
        page = sdk.beta.libraries.list(page_size=3, search="library 1", page_token=token)
        seen += [lib.name for lib in page.data]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == [f"Library 1{i}" for i in range(10)]


@pytest.mark.parametrize("params", [{"page_size": 0}, {"page_size": 101}, {"page": -1}])
def test_out_of_range_listing_params(sdk: Mistral, params: dict[str, int]) -> None:
    with pytest.raises(errors.HTTPValidationError):
        sdk.beta.libraries.list(**params)  # type: ignore[arg-type]


def test_forged_token_is_422(sdk: Mistral) -> None:
    with pytest.raises(errors.HTTPValidationError) as info:
        sdk.beta.libraries.list(page_token="not-a-token")
    assert info.value.data.detail[0].loc[-1] == "page_token"


def test_filter_owned_by_me(server: EtagereServer, sdk: Mistral) -> None:
    from tests.conftest import client_for

    mine = sdk.beta.libraries.create(name="mine")
    colleague = client_for(server, server.new_identity(org="default", workspace="default").key)
    theirs = colleague.beta.libraries.create(name="theirs")
    owned = sdk.beta.libraries.list(filter_owned_by_me=True).data
    assert [lib.id for lib in owned] == [mine.id]
    assert {lib.id for lib in sdk.beta.libraries.list().data} == {mine.id, theirs.id}
