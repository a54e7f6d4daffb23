"""``generated_name`` and ``generated_description`` write themselves from the documents, through
the official SDK, and never touch the name and description a user set."""

from __future__ import annotations

import time

from mistralai.client import Mistral

from etagere.ingestion.library_profile import describe_library
from etagere.storage.metadata.profiles import DocumentGist
from tests.documents.conftest import wait_all_settled
from tests.support.documents import upload_bytes

HERONS = [
    "The grey heron hunts fish in shallow water. Herons stand still for minutes before striking.",
    "A heron colony nests in tall trees near the river. Young herons fledge in early summer.",
    "Fish are the heron's main prey, with frogs and small mammals. The heron swallows fish whole.",
]
GLACIERS = [
    "The glacier retreated two kilometres since 1900. Meltwater from the glacier feeds the lake.",
    "Ice cores drilled in the glacier record past climate. Each glacier layer is one winter.",
]


def upload_all(sdk: Mistral, library_id: str, texts: list[str], prefix: str) -> list[str]:
    ids = [
        upload_bytes(sdk, library_id, f"{prefix}-{i}.txt", text.encode()).id
        for i, text in enumerate(texts)
    ]
    wait_all_settled(sdk, library_id, ids)
    return ids


def wait_for_name(sdk: Mistral, library_id: str, word: str) -> tuple[str, str]:
    """Refreshing happens in the processing transaction; this only waits for the last one."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        library = sdk.beta.libraries.get(library_id=library_id)
        if library.generated_name and word in library.generated_name:
            return library.generated_name, library.generated_description or ""
        time.sleep(0.2)
    raise AssertionError(f"generated_name never mentioned {word!r}: {library.generated_name!r}")


def test_generated_fields_follow_the_documents(sdk: Mistral) -> None:
    library = sdk.beta.libraries.create(name="Shelf", description="mine")
    assert library.generated_name is None and library.generated_description is None

    herons = upload_all(sdk, library.id, HERONS, "heron")
    name, description = wait_for_name(sdk, library.id, "Heron")
    assert description.startswith("3 documents (3 text) about heron")
    assert "fish" in description.lower(), "a quoted summary carries the library's theme"

    updated = sdk.beta.libraries.update(library_id=library.id, name="Birds", description="my own")
    assert (updated.name, updated.description) == ("Birds", "my own")
    assert updated.generated_name == name, "what the user sets and what is generated are apart"

    for document_id in herons:
        sdk.beta.libraries.documents.delete(library_id=library.id, document_id=document_id)
    emptied = sdk.beta.libraries.get(library_id=library.id)
    assert emptied.generated_name is None and emptied.generated_description is None
    upload_all(sdk, library.id, GLACIERS, "ice")
    name, description = wait_for_name(sdk, library.id, "Glacier")
    assert "heron" not in (name + description).lower()
    listed = sdk.beta.libraries.list().data[0]
    assert (listed.name, listed.description, listed.generated_name) == ("Birds", "my own", name)


def test_describe_library_prefers_terms_shared_by_documents() -> None:
    gists = [
        DocumentGist("a.txt", "Tidal energy from the harbour. Turbines spin.", "text/plain"),
        DocumentGist("b.pdf", "Harbour turbines and tidal currents.", "application/pdf"),
        DocumentGist("c.txt", "A note on lunch.", "text/plain"),
    ]
    name, description = describe_library(gists)
    assert name is not None and set(name.lower().replace(" and", ",").split(", ")) == {
        "harbour",
        "tidal",
        "turbines",
    }
    assert description is not None and description.startswith("3 documents (2 text, 1 PDF)")
    assert describe_library([]) == (None, None)
    assert describe_library([DocumentGist("x.txt", None, None)]) == (None, None)
