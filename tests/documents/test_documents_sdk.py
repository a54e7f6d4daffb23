"""The eleven document methods of the official SDK against a real server, on both stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from mistralai.client import Mistral, errors, models

from tests.conftest import ServerFactory, client_for
from tests.support.documents import upload, upload_bytes, wait_settled
from tests.support.samples.prose import CRAZY_PHRASE
from tests.support.servers import EtagereServer
from tests.support.worker import process_queue


@pytest.fixture
def library(sdk: Mistral) -> models.Library:
    return sdk.beta.libraries.create(name="documents under test")


def test_upload_process_get_text_status(
    sdk: Mistral, library: models.Library, samples: Path
) -> None:
    created = upload(sdk, library.id, samples / "word_processors.pdf")
    assert created.process_status in ("todo", "in_progress", "done")
    assert created.processing_status == "Running" or created.process_status == "done"
    assert created.name == "word_processors.pdf" and created.extension == "pdf"
    assert created.mime_type == "application/pdf" and created.size > 0
    assert created.hash and len(created.hash) == 64
    done = wait_settled(sdk, library.id, created.id)
    assert done.process_status == "done" and done.processing_status == "Completed"
    assert done.number_of_pages == 5
    assert done.tokens_processing_total > 0 and done.summary
    assert done.last_processed_at is not None and done.last_processed_at >= done.created_at
    status = sdk.beta.libraries.documents.status(library_id=library.id, document_id=created.id)
    assert (status.document_id, status.process_status) == (created.id, "done")
    text = sdk.beta.libraries.documents.text_content(library_id=library.id, document_id=created.id)
    assert "The Evolution of the Word Processor" in text.text
    lib = sdk.beta.libraries.get(library_id=library.id)
    assert lib.nb_documents == 1 and lib.total_size == created.size


def test_page_ranges_of_text_content(sdk: Mistral, library: models.Library, samples: Path) -> None:
    doc = upload(sdk, library.id, samples / "word_processors.pdf")
    wait_settled(sdk, library.id, doc.id)

    def pages(start: int | None, end: int | None) -> str:
        return sdk.beta.libraries.documents.text_content(
            library_id=library.id, document_id=doc.id, page_start=start, page_end=end
        ).text

    whole = pages(None, None)
    parts = [pages(n, n) for n in range(1, 6)]
    assert all(parts) and "".join(parts) == whole, "pages tile the text"
    assert pages(2, 3) == parts[1] + parts[2]
    assert pages(4, None) == parts[3] + parts[4]
    assert pages(None, 1) == parts[0]
    assert pages(9, 12) == "", "pages past the end are empty, not an error"
    with pytest.raises(errors.HTTPValidationError):
        pages(3, 2)
    with pytest.raises(errors.HTTPValidationError):
        pages(0, 1)


def test_same_bytes_twice_answer_the_existing_document(
    server: EtagereServer, sdk: Mistral, library: models.Library
) -> None:
    first = upload_bytes(sdk, library.id, "notes.txt", b"hello shelf\n" * 10)
    with server.http() as http:
        again = http.post(
            f"/v1/libraries/{library.id}/documents",
            files={"file": ("other-name.txt", b"hello shelf\n" * 10, "text/plain")},
        )
    assert again.status_code == 200 and again.json()["id"] == first.id
    assert sdk.beta.libraries.get(library_id=library.id).nb_documents == 1
    other_library = sdk.beta.libraries.create(name="another")
    elsewhere = upload_bytes(sdk, other_library.id, "notes.txt", b"hello shelf\n" * 10)
    assert elsewhere.id != first.id, "deduplication is per library"


def test_update_name_attributes_expiry(sdk: Mistral, library: models.Library) -> None:
    doc = upload_bytes(sdk, library.id, "report.md", b"# Report\n\nQuarterly numbers.\n")
    when = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    attributes = {
        "team": "legal",
        "year": 2024,
        "score": 0.5,
        "public": False,
        "signed_at": when,
        "tags": ["a", "b"],
        "sizes": [1, 2, 3],
    }
    updated = sdk.beta.libraries.documents.update(
        library_id=library.id,
        document_id=doc.id,
        name="Q3 report",
        attributes=attributes,
        expires_at=when + timedelta(days=365),
    )
    assert updated.name == "Q3 report"
    assert updated.attributes is not None
    assert updated.attributes["team"] == "legal" and updated.attributes["year"] == 2024
    assert updated.attributes["tags"] == ["a", "b"] and updated.attributes["public"] is False
    assert datetime.fromisoformat(updated.attributes["signed_at"]) == when
    assert updated.expires_at == when + timedelta(days=365)
    kept = sdk.beta.libraries.documents.libraries_documents_update_v1(
        library_id=library.id, document_id=doc.id, name="Q3 final"
    )
    assert kept.attributes == updated.attributes, "fields left out are unchanged"
    cleared = sdk.beta.libraries.documents.update(
        library_id=library.id, document_id=doc.id, attributes=None, expires_at=None
    )
    assert cleared.attributes is None and cleared.expires_at is None
    fetched = sdk.beta.libraries.documents.get(library_id=library.id, document_id=doc.id)
    assert fetched.name == "Q3 final" and fetched.attributes is None


@pytest.mark.parametrize(
    "body",
    [
        {"attributes": {"bad": {"nested": 1}}},
        {"attributes": {"mixed": [1, "a"]}},
        {"attributes": {"": 1}},
        {"name": ""},
        {"expires_at": "not a date"},
    ],
)
def test_invalid_updates_are_422(
    server: EtagereServer, sdk: Mistral, library: models.Library, body: dict[str, object]
) -> None:
    doc = upload_bytes(sdk, library.id, "a.txt", b"alpha")
    with server.http() as http:
        response = http.patch(f"/v1/libraries/{library.id}/documents/{doc.id}", json=body)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)


def test_list_search_sort_paginate_filter(sdk: Mistral, library: models.Library) -> None:
    names = ["alpha.txt", "Beta notes.txt", "gamma.txt", "delta BETA.txt"]
    docs = {}
    for index, name in enumerate(names):
        doc = upload_bytes(sdk, library.id, name, f"{name} body {'x' * index}".encode())
        docs[name] = sdk.beta.libraries.documents.update(
            library_id=library.id,
            document_id=doc.id,
            attributes={
                "rank": index,
                "team": "red" if index % 2 else "blue",
                "tags": ["even"] if index % 2 == 0 else ["odd"],
            },
        )
    listed = sdk.beta.libraries.documents.list(library_id=library.id)
    assert listed.pagination.total_items == 4
    assert [d.name for d in listed.data] == list(reversed(names)), "newest first by default"
    by_name = sdk.beta.libraries.documents.list(
        library_id=library.id, sort_by="name", sort_order="asc"
    )
    assert [d.name for d in by_name.data] == sorted(names)
    by_size = sdk.beta.libraries.documents.list(
        library_id=library.id, sort_by="size", sort_order="desc"
    )
    assert [d.size for d in by_size.data] == sorted((d.size for d in by_size.data), reverse=True)
    searched = sdk.beta.libraries.documents.list(library_id=library.id, search="beta")
    assert {d.name for d in searched.data} == {"Beta notes.txt", "delta BETA.txt"}
    page = sdk.beta.libraries.documents.list(library_id=library.id, page_size=3, page=1)
    assert len(page.data) == 1 and page.pagination.total_pages == 2
    assert page.pagination.has_more is False and page.pagination.current_page == 1

    def filtered(node: dict[str, object]) -> set[str]:
        result = sdk.beta.libraries.documents.list(
            library_id=library.id, filters_attributes=json.dumps(node)
        )
        return {d.name for d in result.data}

    assert filtered({"type": "equal", "field": "team", "value": "red"}) == {
        "Beta notes.txt",
        "delta BETA.txt",
    }
    assert filtered({"type": "range", "field": "rank", "gte": 1, "lt": 3}) == {
        "Beta notes.txt",
        "gamma.txt",
    }
    assert filtered({"type": "in", "field": "tags", "values": ["odd"]}) == {
        "Beta notes.txt",
        "delta BETA.txt",
    }
    assert filtered(
        {
            "type": "and",
            "matches": [
                {"type": "equal", "field": "team", "value": "blue"},
                {"type": "not", "match": {"type": "equal", "field": "name", "value": "alpha.txt"}},
            ],
        }
    ) == {"gamma.txt"}
    assert filtered(
        {
            "type": "or",
            "matches": [
                {"type": "equal", "field": "attributes.rank", "value": 0},
                {"type": "equal", "field": "document_id", "value": docs["gamma.txt"].id},
            ],
        }
    ) == {"alpha.txt", "gamma.txt"}
    for bad in ("{", json.dumps({"type": "equal", "field": "x"}), json.dumps({"type": "nope"})):
        with pytest.raises(errors.HTTPValidationError):
            sdk.beta.libraries.documents.list(library_id=library.id, filters_attributes=bad)


def test_delete_removes_document_text_and_file(
    server: EtagereServer, sdk: Mistral, library: models.Library
) -> None:
    doc = upload_bytes(sdk, library.id, "gone.txt", b"soon gone")
    wait_settled(sdk, library.id, doc.id)
    signed = sdk.beta.libraries.documents.get_signed_url(library_id=library.id, document_id=doc.id)
    blobs_before = list((server.store.data_dir / "blobs").rglob("*"))
    assert any(p.is_file() for p in blobs_before)
    sdk.beta.libraries.documents.delete(library_id=library.id, document_id=doc.id)
    for call in (
        lambda: sdk.beta.libraries.documents.get(library_id=library.id, document_id=doc.id),
        lambda: sdk.beta.libraries.documents.text_content(
            library_id=library.id, document_id=doc.id
        ),
    ):
        with pytest.raises(errors.SDKError) as info:
            call()
        assert info.value.status_code == 404
    assert sdk.beta.libraries.documents.list(library_id=library.id).data == []
    lib = sdk.beta.libraries.get(library_id=library.id)
    assert (lib.nb_documents, lib.total_size) == (0, 0)
    assert not [p for p in (server.store.data_dir / "blobs").rglob("*") if p.is_file()]
    assert httpx.get(signed).status_code == 404, "a signed URL dies with its document"


def test_signed_urls_serve_without_a_key(
    sdk: Mistral, library: models.Library, samples: Path
) -> None:
    source = samples / "crazy_ones.pdf"
    doc = upload(sdk, library.id, source)
    wait_settled(sdk, library.id, doc.id)
    original = sdk.beta.libraries.documents.get_signed_url(
        library_id=library.id, document_id=doc.id
    )
    text_url = sdk.beta.libraries.documents.extracted_text_signed_url(
        library_id=library.id, document_id=doc.id
    )
    assert isinstance(original, str) and original.startswith("http://127.0.0.1")
    fetched = httpx.get(original)
    assert fetched.status_code == 200 and fetched.content == source.read_bytes()
    assert fetched.headers["content-type"] == "application/pdf"
    text = httpx.get(text_url)
    assert text.status_code == 200 and CRAZY_PHRASE in text.text
    tampered = original.replace("/original?", "/text?")
    assert httpx.get(tampered).status_code == 403
    forged_expiry = original.replace("expires=", "expires=9")
    assert httpx.get(forged_expiry).status_code == 403


def test_signed_urls_expire(start_server: ServerFactory) -> None:
    import time

    server = start_server(signed_url_seconds=10)
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="short-lived")
    doc = upload_bytes(sdk, library.id, "t.txt", b"brief")
    url = sdk.beta.libraries.documents.get_signed_url(library_id=library.id, document_id=doc.id)
    assert httpx.get(url).status_code == 200
    time.sleep(11)
    expired = httpx.get(url)
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]


def test_reprocess_replaces_derived_data(
    sdk: Mistral, library: models.Library, samples: Path
) -> None:
    doc = upload(sdk, library.id, samples / "word_processors.pdf")
    first = wait_settled(sdk, library.id, doc.id)
    before = sdk.beta.libraries.documents.text_content(library_id=library.id, document_id=doc.id)
    sdk.beta.libraries.documents.reprocess(library_id=library.id, document_id=doc.id)
    again = wait_settled(sdk, library.id, doc.id)
    assert again.process_status == "done"
    assert again.last_processed_at is not None and first.last_processed_at is not None
    assert again.last_processed_at > first.last_processed_at
    after = sdk.beta.libraries.documents.text_content(library_id=library.id, document_id=doc.id)
    assert after.text == before.text


def test_text_of_unprocessed_document_is_a_clear_conflict_until_a_worker_runs(
    start_server: ServerFactory,
) -> None:
    server = start_server(workers=0)
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="no workers")
    doc = upload_bytes(sdk, library.id, "wait.txt", b"patience is a virtue")
    documents = sdk.beta.libraries.documents
    with pytest.raises(errors.SDKError) as info:
        documents.text_content(library_id=library.id, document_id=doc.id)
    assert info.value.status_code == 409 and "not processed yet" in info.value.body
    status = documents.status(library_id=library.id, document_id=doc.id)
    assert (status.process_status, status.processing_status) == ("todo", "Running")

    assert process_queue(server.store) == 1
    status = documents.status(library_id=library.id, document_id=doc.id)
    assert (status.process_status, status.processing_status) == ("done", "Completed")
    text = documents.text_content(library_id=library.id, document_id=doc.id).text
    assert "patience is a virtue" in text
    hits = sdk.beta.libraries.documents.list(library_id=library.id).data
    assert [h.process_status for h in hits] == ["done"]


def test_expired_documents_are_swept(start_server: ServerFactory) -> None:
    server = start_server(sweep_interval_seconds=0.5)
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="ephemeral")
    doomed = upload_bytes(sdk, library.id, "doomed.txt", b"doomed")
    kept = upload_bytes(sdk, library.id, "kept.txt", b"kept")
    sdk.beta.libraries.documents.update(
        library_id=library.id,
        document_id=doomed.id,
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        names = [d.name for d in sdk.beta.libraries.documents.list(library_id=library.id).data]
        if names == ["kept.txt"]:
            break
        time.sleep(0.3)
    assert names == ["kept.txt"]
    lib = sdk.beta.libraries.get(library_id=library.id)
    assert lib.nb_documents == 1 and lib.total_size == kept.size


def test_document_routes_respect_library_access(
    server: EtagereServer, sdk: Mistral, library: models.Library
) -> None:
    doc = upload_bytes(sdk, library.id, "secret.txt", b"classified")
    outsider = client_for(server, server.new_identity().key)
    calls = [
        lambda c: c.beta.libraries.documents.list(library_id=library.id),
        lambda c: c.beta.libraries.documents.get(library_id=library.id, document_id=doc.id),
        lambda c: upload_bytes(c, library.id, "x.txt", b"intruder"),
        lambda c: c.beta.libraries.documents.delete(library_id=library.id, document_id=doc.id),
        lambda c: c.beta.libraries.documents.get_signed_url(
            library_id=library.id, document_id=doc.id
        ),
    ]
    for call in calls:
        with pytest.raises(errors.SDKError) as info:
            call(outsider)
        assert info.value.status_code == 404
    other_library = sdk.beta.libraries.create(name="neighbour")
    with pytest.raises(errors.SDKError) as info:
        sdk.beta.libraries.documents.get(library_id=other_library.id, document_id=doc.id)
    assert info.value.status_code == 404, "a document is only reachable through its library"
