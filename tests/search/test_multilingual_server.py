"""A server started with ``ETAGERE_EMBEDDER=multilingual``, driven by the official SDK."""

from __future__ import annotations

from pathlib import Path

from mistralai.client import models

from tests.conftest import client_for
from tests.support.documents import upload_bytes, wait_settled
from tests.support.servers import EtagereServer, StoreLocation

DOCUMENTS = {
    "boulangerie.txt": (
        "Le boulanger pétrit la pâte avant l'aube. Les baguettes sortent du four à six heures, "
        "encore chaudes, et les croissants suivent peu après."
    ),
    "impots.txt": (
        "La déclaration de revenus doit être envoyée à l'administration fiscale avant la fin "
        "du mois de mai, sous peine de majoration."
    ),
    "tempete.txt": (
        "Une violente tempête a arraché des toitures et privé d'électricité des milliers de "
        "foyers dans toute la région pendant la nuit."
    ),
}


def test_english_and_german_questions_find_french_documents(tmp_path: Path) -> None:
    server = EtagereServer(store=StoreLocation(data_dir=tmp_path / "data"))
    server.start(extra_env={"ETAGERE_EMBEDDER": "multilingual", "ETAGERE_WORKERS": "1"})
    try:
        sdk = client_for(server, server.api_key)
        library = sdk.beta.libraries.create(name="documents en français")
        ids = {}
        for name, text in DOCUMENTS.items():
            ids[name] = upload_bytes(sdk, library.id, name, text.encode()).id
            assert wait_settled(sdk, library.id, ids[name]).process_status == "done"
        questions = {
            "When is the income tax return due?": "impots.txt",
            "Sturm hat Dächer abgedeckt und den Strom unterbrochen": "tempete.txt",
            "fresh bread early in the morning": "boulangerie.txt",
        }
        with server.http() as http:
            for question, expected in questions.items():
                body = {"retriever": {"type": "nearest_neighbour", "query": question, "top_k": 3}}
                response = http.post(f"/v1/libraries/{library.id}/search", json=body)
                assert response.status_code == 200, response.text
                found = models.SearchResponse.model_validate(response.json())
                assert found.hits[0].chunk.source_id == ids[expected], question
    finally:
        server.stop()
