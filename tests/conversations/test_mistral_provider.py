"""``ETAGERE_LLM_PROVIDER=mistral``: the official SDK's chat client against a scripted server
speaking Mistral's chat API (requests checked against the SDK's ``ChatCompletionRequest``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mistralai.client import models

from tests.conftest import ServerFactory, client_for
from tests.conversations.conftest import QUESTION, library_with_pdf
from tests.support.scripted_model import ScriptedModel


def test_agent_over_mistral_provider(
    start_server: ServerFactory, scripted: Callable[..., ScriptedModel], tmp_path: Path
) -> None:
    model = scripted(dialect="mistral", api_key="mistral-test-key")
    server = start_server(llm_provider="mistral", llm_url=model.url, llm_api_key="mistral-test-key")
    client = client_for(server, server.api_key)
    library_id, _ = library_with_pdf(client, tmp_path)
    agent = client.beta.agents.create(
        model="mistral-medium-latest",
        name="Field librarian",
        tools=[{"type": "document_library", "library_ids": [library_id]}],
    )
    response = client.beta.conversations.start(agent_id=agent.id, inputs=QUESTION)
    assert model.saw_passage
    message = response.outputs[-1]
    assert isinstance(message, models.MessageOutputEntry) and isinstance(message.content, list)
    titles = [c.title for c in message.content if isinstance(c, models.ToolReferenceChunk)]
    assert titles == ["field-notes.pdf, p. 2"]
    assert model.requests[0]["model"] == "mistral-medium-latest"  # passed through
    with client.beta.conversations.start_stream(agent_id=agent.id, inputs=QUESTION) as stream:
        kinds = [event.data.type for event in stream]
    assert kinds[-1] == "conversation.response.done"
    assert kinds.count("message.output.delta") > 5  # streamed through the SDK's chat.stream
    assert model.requests[-1]["stream"] is True
