"""Streaming turns, function tools, access withdrawn between turns, and upstream failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mistralai.client import errors, models

from tests.conftest import ServerFactory, client_for
from tests.conversations.conftest import QUESTION, Setup, library_with_pdf, openai_env
from tests.support.people import Directory
from tests.support.scripted_model import ANSWER, ScriptedModel
from tests.support.servers import free_port

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def _agent_id(setup: Setup) -> str:
    return setup.client.beta.agents.create(
        model="mistral-medium-latest",
        name="Field librarian",
        tools=[{"type": "document_library", "library_ids": [setup.library_id]}],
    ).id


def test_streaming_start_and_append(setup: Setup) -> None:
    agent_id = _agent_id(setup)
    with setup.client.beta.conversations.start_stream(agent_id=agent_id, inputs=QUESTION) as s:
        events = [e.data for e in s]
    kinds = [e.type for e in events]
    assert kinds[0] == "conversation.response.started"
    assert kinds[1:3] == ["tool.execution.started", "tool.execution.done"]
    assert kinds[-1] == "conversation.response.done"
    deltas = [e for e in events if isinstance(e, models.MessageOutputEvent)]
    text = "".join(d.content for d in deltas if isinstance(d.content, str))
    assert text == ANSWER + " ."
    references = [d.content for d in deltas if isinstance(d.content, models.ToolReferenceChunk)]
    assert [r.title for r in references] == ["field-notes.pdf, p. 2"]
    started = events[0]
    assert isinstance(started, models.ResponseStartedEvent)
    done = events[-1]
    assert isinstance(done, models.ResponseDoneEvent) and done.usage.total_tokens == 30
    assert all(r.get("stream") for r in setup.model.requests), "the upstream was not streamed"
    assert len(deltas) > 5  # the answer arrived in pieces, as the model sent it

    with setup.client.beta.conversations.append_stream(
        conversation_id=started.conversation_id, inputs="Tell me more."
    ) as s:
        again = [e.data.type for e in s]
    assert again[-1] == "conversation.response.done"
    history = setup.client.beta.conversations.get_history(conversation_id=started.conversation_id)
    assert len(history.entries) == 6
    restart_from = history.entries[0].id
    assert restart_from is not None
    with setup.client.beta.conversations.restart_stream(
        conversation_id=started.conversation_id, from_entry_id=restart_from, inputs="Again?"
    ) as s:
        restarted = [e.data for e in s]
    assert restarted[-1].type == "conversation.response.done"


def test_function_tool_round_trip(setup: Setup) -> None:
    conversations = setup.client.beta.conversations
    response = conversations.start(
        model="mistral-small-latest", inputs="Weather in Paris?", tools=[WEATHER]
    )
    (call,) = response.outputs
    assert isinstance(call, models.FunctionCallEntry)
    assert call.name == "get_weather" and '"Paris"' in str(call.arguments)
    answer = conversations.append(
        conversation_id=response.conversation_id,
        inputs=[{"type": "function.result", "tool_call_id": call.tool_call_id, "result": "sunny"}],
    )
    (message,) = answer.outputs
    assert isinstance(message, models.MessageOutputEntry)
    assert message.content == "The function said: sunny"
    sent = setup.model.requests[-1]["messages"]
    assert sent[-2]["tool_calls"][0]["id"] == call.tool_call_id
    assert sent[-1] == {"role": "tool", "tool_call_id": call.tool_call_id, "content": "sunny"}
    entries = conversations.get_history(conversation_id=response.conversation_id).entries
    assert [e.type for e in entries] == [
        "message.input",
        "function.call",
        "function.result",
        "message.output",
    ]


def test_agent_over_a_library_the_caller_cannot_read(setup: Setup) -> None:
    stranger = Directory(setup.server.store).person()
    client = client_for(setup.server, stranger.key)
    for create in (
        lambda: client.beta.agents.create(
            model="m",
            name="spy",
            tools=[{"type": "document_library", "library_ids": [setup.library_id]}],
        ),
        lambda: client.beta.conversations.start(
            model="m",
            inputs=QUESTION,
            tools=[{"type": "document_library", "library_ids": [setup.library_id]}],
        ),
    ):
        with pytest.raises(errors.SDKError) as refused:
            create()
        assert refused.value.status_code == 404
        assert f"Library {setup.library_id} not found" in refused.value.body
    # Nor can a stranger use, or even see, an agent of another workspace.
    agent_id = _agent_id(setup)
    with pytest.raises(errors.SDKError) as hidden:
        client.beta.conversations.start(agent_id=agent_id, inputs=QUESTION)
    assert hidden.value.status_code == 404
    # Conversations are private to the user who started them.
    mine = setup.client.beta.conversations.start(agent_id=agent_id, inputs=QUESTION)
    with pytest.raises(errors.SDKError) as private:
        client.beta.conversations.get_history(conversation_id=mine.conversation_id)
    assert private.value.status_code == 404
    assert client.beta.conversations.list() == []
    # Tools etagere cannot run are refused, not ignored.
    with pytest.raises(errors.HTTPValidationError) as refused_tool:
        setup.client.beta.agents.create(model="m", name="web", tools=[{"type": "web_search"}])
    assert "'web_search' is not available" in str(refused_tool.value.data.detail)


def test_library_unshared_between_two_turns(setup: Setup) -> None:
    directory = Directory(setup.server.store)
    reader = directory.person()
    setup.client.beta.libraries.accesses.update_or_create(
        library_id=setup.library_id,
        level="Viewer",
        share_with_uuid=reader.user_id,
        share_with_type="User",
    )
    client = client_for(setup.server, reader.key)
    agent = client.beta.agents.create(
        model="m",
        name="reader's agent",
        tools=[{"type": "document_library", "library_ids": [setup.library_id]}],
    )
    first = client.beta.conversations.start(agent_id=agent.id, inputs=QUESTION)
    assert isinstance(first.outputs[-1], models.MessageOutputEntry)
    assert setup.model.saw_passage
    setup.client.beta.libraries.accesses.delete(
        library_id=setup.library_id, share_with_uuid=reader.user_id, share_with_type="User"
    )
    second = client.beta.conversations.append(
        conversation_id=first.conversation_id, inputs=QUESTION
    )
    execution, message = second.outputs
    assert isinstance(execution, models.ToolExecutionEntry)
    assert execution.info is not None
    error = str(execution.info["error"])
    assert setup.library_id in error and "no longer shared" in error
    assert setup.model.tool_messages[-1].startswith("Error:")
    assert isinstance(message, models.MessageOutputEntry)
    assert "could not search the library" in str(message.content)


def test_upstream_down_slow_and_missing(
    start_server: ServerFactory, scripted: Callable[..., ScriptedModel], tmp_path: Path
) -> None:
    slow = scripted(delay=3)
    failing = scripted(fail_status=500)
    down = start_server(llm_provider="openai-compatible", llm_url=f"http://127.0.0.1:{free_port()}")
    client = client_for(down, down.api_key)
    library_id, _ = library_with_pdf(client, tmp_path)
    tools = [{"type": "document_library", "library_ids": [library_id]}]
    with pytest.raises(errors.SDKError) as unreachable:
        client.beta.conversations.start(model="m", inputs=QUESTION, tools=tools)
    assert unreachable.value.status_code == 502
    assert "cannot be reached" in unreachable.value.body
    down.stop()
    key = down.api_key  # the store's key, made at first start

    for model, status, reason in (
        (failing, 502, "the scripted model is overloaded"),
        (slow, 504, "did not answer within 1 s"),
    ):
        running = start_server(**openai_env(model, llm_timeout_seconds=1, llm_api_key="sk-secret"))
        client = client_for(running, key)
        with pytest.raises(errors.SDKError) as failed:
            client.beta.conversations.start(model="m", inputs=QUESTION, tools=tools)
        assert failed.value.status_code == status and reason in failed.value.body
        assert "sk-secret" not in failed.value.body and "sk-secret" not in running.log_tail(400)
        with client.beta.conversations.start_stream(model="m", inputs=QUESTION, tools=tools) as s:
            events = [e.data for e in s]
        assert isinstance(events[-1], models.ResponseErrorEvent)
        assert events[-1].code == status
        running.stop()

    bare = start_server()
    client = client_for(bare, key)
    with pytest.raises(errors.SDKError) as missing:
        client.beta.agents.list()
    assert missing.value.status_code == 503 and "ETAGERE_LLM_PROVIDER" in missing.value.body
    assert client.beta.libraries.list().data  # everything else works


def test_a_turn_is_bounded_in_steps(
    start_server: ServerFactory, scripted: Callable[..., ScriptedModel], tmp_path: Path
) -> None:
    model = scripted(never_answers=True)
    server = start_server(**openai_env(model, llm_max_steps=3))
    client = client_for(server, server.api_key)
    library_id, _ = library_with_pdf(client, tmp_path)
    response = client.beta.conversations.start(
        model="m",
        inputs=QUESTION,
        tools=[{"type": "document_library", "library_ids": [library_id]}],
    )
    assert len(model.requests) == 3
    kinds = [o.type for o in response.outputs]
    assert kinds == ["tool.execution"] * 3 + ["message.output"]
    assert "ETAGERE_LLM_MAX_STEPS" in str(response.outputs[-1].content)  # type: ignore[union-attr]
    assert response.usage.total_tokens == 45
