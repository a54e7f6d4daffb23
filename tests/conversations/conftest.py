"""Fixtures for agents and conversations: a scripted model server and a library with a PDF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mistralai.client import Mistral

from tests.conftest import ServerFactory, client_for
from tests.extraction.extraction_fixtures import write_text_pdf
from tests.support.documents import upload, wait_settled
from tests.support.scripted_model import ScriptedModel
from tests.support.servers import EtagereServer

PASSAGE = "Zebras cross the Mara river every August, followed by the wildebeest herds."
QUESTION = "When do the zebras cross the Mara river?"
FILLER = "The savanna field station records rainfall, grass height and herd counts daily. "


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedModel]]:
    """Start scripted model servers; all are stopped after the test."""
    started: list[ScriptedModel] = []

    def start(**options: Any) -> ScriptedModel:
        model = ScriptedModel(passage=PASSAGE, **options).start()
        started.append(model)
        return model

    yield start
    for model in started:
        model.stop()


@dataclass
class Setup:
    server: EtagereServer
    client: Mistral
    model: ScriptedModel
    library_id: str
    document_id: str


def openai_env(model: ScriptedModel, **extra: object) -> dict[str, object]:
    return {
        "llm_provider": "openai-compatible",
        "llm_url": model.url + "/v1",
        "llm_model": "scripted-model",
        **extra,
    }


def library_with_pdf(client: Mistral, tmp_path: Path) -> tuple[str, str]:
    """A library holding a three-page PDF whose second page carries ``PASSAGE``."""
    library = client.beta.libraries.create(name="field notes")
    filler = "\n".join([FILLER.strip()] * 12)
    pages = [filler, f"{filler}\n{PASSAGE}\n{filler}", filler]
    pdf = write_text_pdf(tmp_path / "field-notes.pdf", pages)
    document = upload(client, library.id, pdf)
    assert wait_settled(client, library.id, document.id).process_status == "done"
    return library.id, document.id


@pytest.fixture
def setup(
    start_server: ServerFactory, scripted: Callable[..., ScriptedModel], tmp_path: Path
) -> Setup:
    """etagere over the test's store, an OpenAI-compatible scripted model, a library."""
    model = scripted()
    server = start_server(**openai_env(model))
    client = client_for(server, server.api_key)
    library_id, document_id = library_with_pdf(client, tmp_path)
    return Setup(server, client, model, library_id, document_id)
