"""A server switched to ``ETAGERE_EMBEDDING_QUANTISED``: what an existing library goes through."""

from __future__ import annotations

import time
from pathlib import Path

from mistralai.client import models

from tests.conftest import client_for
from tests.support.documents import upload_bytes, wait_settled
from tests.support.servers import EtagereServer, StoreLocation

TEXTS = {
    "cells.txt": "The mitochondrion is the powerhouse of the cell: it makes ATP from glucose.",
    "rates.txt": "The central bank raised interest rates to curb inflation this spring.",
}
SEMANTIC = {"retriever": {"type": "nearest_neighbour", "query": "how do cells get energy"}}


def test_switching_asks_for_reprocessing_then_searches(tmp_path: Path) -> None:
    store = StoreLocation(data_dir=tmp_path / "data")
    server = EtagereServer(store=store).start(extra_env={"ETAGERE_WORKERS": "1"})
    try:
        sdk = client_for(server, server.api_key)
        library = sdk.beta.libraries.create(name="made with the default model")
        ids = {
            name: upload_bytes(sdk, library.id, name, text.encode()).id
            for name, text in TEXTS.items()
        }
        for document_id in ids.values():
            assert wait_settled(sdk, library.id, document_id).process_status == "done"
    finally:
        server.stop()

    server.start(extra_env={"ETAGERE_WORKERS": "1", "ETAGERE_EMBEDDING_QUANTISED": "true"})
    try:
        sdk = client_for(server, server.api_key)
        search = f"/v1/libraries/{library.id}/search"
        with server.http() as http:
            refused = http.post(search, json=SEMANTIC)
            assert refused.status_code == 409, refused.text
            assert "all-MiniLM-L6-v2-int8-dynamic" in refused.text
            assert "reprocess" in refused.text
            keyword = http.post(search, json={"retriever": {"type": "keyword", "query": "ATP"}})
            assert keyword.status_code == 200  # keyword search never depended on the model
            for document_id in ids.values():
                sdk.beta.libraries.documents.reprocess(
                    library_id=library.id, document_id=document_id
                )
            deadline = time.monotonic() + 120
            while (answer := http.post(search, json=SEMANTIC)).status_code == 409:
                assert time.monotonic() < deadline, answer.text
                time.sleep(0.5)
            assert answer.status_code == 200, answer.text
            found = models.SearchResponse.model_validate(answer.json())
            assert found.hits[0].chunk.source_id == ids["cells.txt"]
    finally:
        server.stop()
