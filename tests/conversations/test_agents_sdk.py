"""The official SDK's ``client.beta.agents`` and ``conversations`` against a real etagere.

The model is a scripted chat-completions server (OpenAI-compatible here); the SDK parses every
response with its own models, so a field out of shape fails the test.
"""

from __future__ import annotations

import httpx
import pytest
from mistralai.client import errors, models

from tests.conversations.conftest import PASSAGE, QUESTION, Setup
from tests.support.scripted_model import ANSWER


def _agent(setup: Setup) -> models.Agent:
    return setup.client.beta.agents.create(
        model="mistral-medium-latest",
        name="Field librarian",
        instructions="Answer from the field notes only.",
        tools=[{"type": "document_library", "library_ids": [setup.library_id]}],
    )


def _references(entry: models.MessageOutputEntry) -> list[models.ToolReferenceChunk]:
    assert isinstance(entry.content, list)
    return [c for c in entry.content if isinstance(c, models.ToolReferenceChunk)]


def test_agent_answers_with_references_to_document_and_page(setup: Setup) -> None:
    agent = _agent(setup)
    assert agent.version == 0 and agent.versions == [0]
    response = setup.client.beta.conversations.start(agent_id=agent.id, inputs=QUESTION)

    kinds = [type(o).__name__ for o in response.outputs]
    assert kinds == ["ToolExecutionEntry", "MessageOutputEntry"]
    execution, message = response.outputs
    assert isinstance(execution, models.ToolExecutionEntry)
    assert execution.name == "document_library" and QUESTION in execution.arguments
    assert setup.model.saw_passage, "the tool message did not carry the uploaded passage"
    assert isinstance(message, models.MessageOutputEntry)
    texts = [c.text for c in message.content if isinstance(c, models.TextChunk)]
    assert texts[0] == ANSWER + " " and texts[-1] == "."
    reference = _references(message)[0]
    assert reference.tool == "document_library"
    assert reference.title == "field-notes.pdf, p. 2"
    assert reference.description and "Mara river" in reference.description
    assert reference.url and reference.url.startswith(setup.server.url + "/v1/signed/")
    served = httpx.get(reference.url, timeout=30)
    assert served.status_code == 200 and PASSAGE in served.text
    assert response.usage.total_tokens == 30  # two model calls of 15 tokens
    # The upstream got the mapped model name, not the agent's.
    assert {r["model"] for r in setup.model.requests} == {"scripted-model"}


def test_append_restart_history_and_listing(setup: Setup) -> None:
    client = setup.client.beta.conversations
    agent = _agent(setup)
    first = client.start(agent_id=agent.id, inputs=QUESTION)
    second = client.append(conversation_id=first.conversation_id, inputs="And in winter?")
    assert second.conversation_id == first.conversation_id
    history = client.get_history(conversation_id=first.conversation_id)
    types = [e.type for e in history.entries]
    assert types == ["message.input", "tool.execution", "message.output"] * 2
    # The second turn's model call saw the first turn, tool result included.
    roles = [m["role"] for m in setup.model.requests[-2]["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    messages = client.get_messages(conversation_id=first.conversation_id)
    assert [m.type for m in messages.messages] == ["message.input", "message.output"] * 2

    restart_from = history.entries[2].id
    assert restart_from is not None
    restarted = client.restart(
        conversation_id=first.conversation_id, from_entry_id=restart_from, inputs="Why then?"
    )
    assert restarted.conversation_id != first.conversation_id
    again = client.get_history(conversation_id=restarted.conversation_id)
    assert [e.type for e in again.entries][:4] == [*types[:3], "message.input"]

    conversation = client.get(conversation_id=first.conversation_id)
    assert isinstance(conversation, models.AgentConversation)
    assert conversation.agent_id == agent.id
    listed = client.list()
    assert {c.id for c in listed} == {first.conversation_id, restarted.conversation_id}
    client.delete(conversation_id=first.conversation_id)
    with pytest.raises(errors.SDKError) as gone:
        client.get(conversation_id=first.conversation_id)
    assert gone.value.status_code == 404


def test_store_false_keeps_nothing(setup: Setup) -> None:
    agent = _agent(setup)
    response = setup.client.beta.conversations.start(
        agent_id=agent.id, inputs=QUESTION, store=False
    )
    assert _references(response.outputs[-1])  # type: ignore[arg-type]
    assert setup.client.beta.conversations.list() == []
    with pytest.raises(errors.SDKError) as missing:
        setup.client.beta.conversations.get(conversation_id=response.conversation_id)
    assert missing.value.status_code == 404


def test_model_conversation_without_agent(setup: Setup) -> None:
    response = setup.client.beta.conversations.start(
        model="mistral-small-latest",
        inputs=QUESTION,
        instructions="Be brief.",
        tools=[{"type": "document_library", "library_ids": [setup.library_id]}],
        completion_args={"temperature": 0.2},
    )
    assert _references(response.outputs[-1])  # type: ignore[arg-type]
    assert setup.model.requests[0]["temperature"] == 0.2
    conversation = setup.client.beta.conversations.get(conversation_id=response.conversation_id)
    assert isinstance(conversation, models.ModelConversation)
    assert conversation.model == "mistral-small-latest"


def test_agent_versions(setup: Setup) -> None:
    agents = setup.client.beta.agents
    agent = _agent(setup)
    updated = agents.update(agent_id=agent.id, instructions="Be terse.", version_message="terse")
    assert updated.version == 1 and updated.versions == [0, 1]
    assert updated.instructions == "Be terse." and updated.name == agent.name
    assert [a.version for a in agents.list_versions(agent_id=agent.id)] == [0, 1]
    first = agents.get_version(agent_id=agent.id, version="0")
    assert first.instructions == "Answer from the field notes only."
    back = agents.update_version(agent_id=agent.id, version=0)
    assert back.version == 0 and back.instructions == first.instructions
    assert agents.get(agent_id=agent.id).version == 0
    assert [a.id for a in agents.list()] == [agent.id]
    agents.delete(agent_id=agent.id)
    with pytest.raises(errors.SDKError) as gone:
        agents.get(agent_id=agent.id)
    assert gone.value.status_code == 404
