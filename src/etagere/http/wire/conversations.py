"""Wire shapes of ``/v1/conversations``: requests, entries, responses and server-sent events."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from etagere.conversations.entries import Entry, public
from etagere.conversations.loop import (
    FunctionCalled,
    OutputChunk,
    ToolDone,
    ToolStarted,
    TurnDone,
    TurnEvent,
)
from etagere.conversations.upstream import Usage
from etagere.storage.metadata.conversations import ConversationRow

InputsIn = str | list[dict[str, Any]]


class StartIn(BaseModel):
    inputs: InputsIn
    stream: bool = False
    store: bool | None = None
    handoff_execution: Literal["client", "server"] | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    completion_args: dict[str, Any] | None = None
    guardrails: list[dict[str, Any]] | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    agent_id: str | None = None
    agent_version: int | str | None = None
    model: str | None = None


class AppendIn(BaseModel):
    inputs: InputsIn | None = None
    stream: bool = False
    store: bool = True
    handoff_execution: Literal["client", "server"] = "server"
    completion_args: dict[str, Any] | None = None
    tool_confirmations: list[dict[str, Any]] | None = None


class RestartIn(AppendIn):
    from_entry_id: str = Field(min_length=1)
    guardrails: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    agent_version: int | str | None = None


def entry_out(entry: Entry, base_url: str) -> Entry:
    """A stored entry as the API shows it, with reference links made absolute."""
    shown = public(entry)
    content = shown.get("content")
    if isinstance(content, list):
        shown["content"] = [chunk_out(chunk, base_url) for chunk in content]
    return shown


def chunk_out(chunk: Any, base_url: str) -> Any:
    if isinstance(chunk, dict) and str(chunk.get("url") or "").startswith("/"):
        return {**chunk, "url": base_url + chunk["url"]}
    return chunk


def usage_out(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def response_out(conversation_id: str, done: TurnDone, base_url: str) -> dict[str, Any]:
    return {
        "object": "conversation.response",
        "conversation_id": conversation_id,
        "outputs": [entry_out(e, base_url) for e in done.outputs],
        "usage": usage_out(done.usage),
    }


def conversation_out(row: ConversationRow) -> dict[str, Any]:
    """``AgentConversation`` or ``ModelConversation``, told apart by ``agent_id``/``model``."""
    config = row.config
    shown: dict[str, Any] = {
        "object": "conversation",
        "id": str(row.id),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "name": config.get("name"),
        "description": config.get("description"),
        "metadata": config.get("metadata"),
    }
    if row.agent_id is not None:
        return {**shown, "agent_id": str(row.agent_id), "agent_version": row.agent_version}
    return {
        **shown,
        "model": config["model"],
        "instructions": config.get("instructions"),
        "tools": config.get("tools") or [],
        "completion_args": config.get("completion_args") or {},
    }


def sse(data: dict[str, Any]) -> str:
    return f"event: {data['type']}\ndata: {json.dumps(data, default=str)}\n\n"


def event_out(event: TurnEvent, base_url: str, stamp: str) -> dict[str, Any]:
    """One event of a turn as the SDK's ``ConversationEvents`` data."""
    if isinstance(event, ToolStarted | ToolDone):
        entry = event.entry
        common = {"id": entry["id"], "name": entry["name"], "output_index": event.output_index}
        if isinstance(event, ToolStarted):
            return {
                "type": "tool.execution.started",
                **common,
                "arguments": entry["arguments"],
                "model": entry.get("model"),
                "agent_id": entry.get("agent_id"),
                "created_at": stamp,
            }
        return {"type": "tool.execution.done", **common, "info": entry.get("info") or {}}
    if isinstance(event, FunctionCalled):
        entry = event.entry
        return {
            "type": "function.call.delta",
            "id": entry["id"],
            "name": entry["name"],
            "tool_call_id": entry["tool_call_id"],
            "arguments": entry["arguments"],
            "output_index": event.output_index,
            "model": entry.get("model"),
            "agent_id": entry.get("agent_id"),
            "created_at": stamp,
        }
    if isinstance(event, OutputChunk):
        return {
            "type": "message.output.delta",
            "id": event.entry_id,
            "content": chunk_out(event.content, base_url),
            "output_index": event.output_index,
            "content_index": event.content_index,
            "role": "assistant",
            "created_at": stamp,
        }
    return {"type": "conversation.response.done", "usage": usage_out(event.usage)}
