"""What the console's forms do, checked through the official SDK on the same server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mistralai.client import errors

from tests.conftest import client_for
from tests.console.conftest import Browser, ConsoleEnv
from tests.support.documents import wait_settled
from tests.support.people import Person
from tests.support.servers import EtagereServer, StoreLocation

NOTE = b"Minutes of the harbour committee.\n\nThe breakwater was approved in spring.\n"


def test_library_and_document_forms(
    console_env: ConsoleEnv, browser_for: Callable[[Person], Browser]
) -> None:
    person = console_env.people.person()
    browser = browser_for(person)
    sdk = client_for(console_env.server, person.key)
    library_id = browser.create_library("draft name")
    saved = browser.post(
        f"/libraries/{library_id}/settings", {"name": "Minutes", "description": "Committee"}
    )
    assert saved.status_code == 303
    library = sdk.beta.libraries.get(library_id=library_id)
    assert (library.name, library.description) == ("Minutes", "Committee")

    assert browser.upload(library_id, "minutes.txt", NOTE).status_code == 201
    again = browser.upload(library_id, "copy.txt", NOTE)
    assert again.status_code == 200 and again.json()["outcome"] == "existing"
    document_id = sdk.beta.libraries.documents.list(library_id=library_id).data[0].id
    assert wait_settled(sdk, library_id, str(document_id)).process_status == "done"
    base = f"/libraries/{library_id}/documents/{document_id}"
    assert "breakwater was approved" in browser.get(base).text

    form = {
        "attr_name": ["team", "year", "urgent", "due", ""],
        "attr_type": ["text", "number", "boolean", "date", "text"],
        "attr_value": ["legal", "2024", "true", "2025-03-01T00:00:00+00:00", ""],
        "expires_at": "2030-01-02T03:04",
    }
    saved = browser.http.post(base + "/attributes", data={"csrf": browser.csrf, **form})
    assert saved.status_code == 303, saved.text
    document = sdk.beta.libraries.documents.get(library_id=library_id, document_id=document_id)
    assert document.attributes == {
        "team": "legal",
        "year": 2024,
        "urgent": True,
        "due": "2025-03-01T00:00:00+00:00",
    }
    assert document.expires_at is not None and document.expires_at.year == 2030

    assert "minutes.txt" in browser.get(f"/libraries/{library_id}?where=year%3D2024").text
    assert "minutes.txt" not in browser.get(f"/libraries/{library_id}?where=year%3D2023").text
    assert "minutes.txt" not in browser.get(f"/libraries/{library_id}?q=nothing-like-it").text

    download = browser.get(base + "/download")
    assert download.content == NOTE
    assert download.headers["content-disposition"].startswith("attachment;")

    assert browser.post(base + "/reprocess").status_code == 303
    assert wait_settled(sdk, library_id, str(document_id)).process_status == "done"
    assert browser.post(base + "/delete").status_code == 303
    assert sdk.beta.libraries.documents.list(library_id=library_id).data == []

    confirm = browser.get(f"/libraries/{library_id}/delete")
    assert "Delete the library “Minutes”?" in confirm.text
    assert browser.post(f"/libraries/{library_id}/delete").status_code == 303
    try:
        sdk.beta.libraries.get(library_id=library_id)
    except errors.SDKError as exc:
        assert exc.status_code == 404
    else:
        raise AssertionError("the library is still there")


def test_a_viewer_sees_no_edit_controls_and_cannot_post_them(
    console_env: ConsoleEnv, browser_for: Callable[[Person], Browser]
) -> None:
    owner = console_env.people.person(org="default")
    viewer = console_env.people.person(org="default")
    owner_browser, viewer_browser = browser_for(owner), browser_for(viewer)
    library_id = owner_browser.create_library("read only for some")
    granted = owner_browser.post(
        f"/libraries/{library_id}/sharing", {"target": f"User:{viewer.user_id}", "level": "Viewer"}
    )
    assert granted.status_code == 303
    page = viewer_browser.get(f"/libraries/{library_id}")
    assert page.status_code == 200
    assert 'id="drop"' not in page.text and "Delete library" not in page.text
    sharing = viewer_browser.get(f"/libraries/{library_id}/sharing").text
    assert "Grant access" not in sharing and "Only the owner" in sharing
    assert viewer_browser.upload(library_id, "x.txt", b"hello").status_code == 403
    refused = viewer_browser.post(f"/libraries/{library_id}/settings", {"name": "mine now"})
    assert refused.status_code == 403 and "Viewer" in refused.text


def test_an_upload_over_the_limit_is_refused_with_its_reason(tmp_path: Path) -> None:
    server = EtagereServer(store=StoreLocation(data_dir=tmp_path / "data"))
    server.start(extra_env={"ETAGERE_MAX_UPLOAD_MB": "0.01"})
    try:
        with Browser(server) as browser:
            assert browser.sign_in(server.api_key).status_code == 303
            library_id = browser.create_library("small files only")
            refused = browser.upload(library_id, "big.txt", b"word " * 10_000)
            assert refused.status_code == 413
            assert refused.json()["outcome"] == "refused"
            assert "MB" in refused.json()["detail"]
            assert browser.upload(library_id, "small.txt", b"word " * 100).status_code == 201
    finally:
        server.stop()
