"""Conversation entries in the SDK's vocabulary, and the chat messages they stand for.

Entries are kept as JSON exactly as the API returns them, plus private keys (``_text``,
``_call``) that let a later turn rebuild the model's view: the raw answer with its ``[n]``
markers, the tool call id and the tool's result. The HTTP layer drops private keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from etagere.conversations.upstream import Message

Entry = dict[str, Any]


def now() -> str:
    return datetime.now(UTC).isoformat()


def new_entry(kind: str, **fields: Any) -> Entry:
    stamp = now()
    return {
        "object": "entry",
        "type": kind,
        "id": str(uuid.uuid4()),
        "created_at": stamp,
        "completed_at": stamp,
        **fields,
    }


def public(entry: Entry) -> Entry:
    """The entry as the API shows it."""
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def input_entries(inputs: str | list[dict[str, Any]]) -> list[Entry]:
    """The caller's inputs (a string, or entries) as stored entries with fresh ids."""
    if isinstance(inputs, str):
        return [new_entry("message.input", role="user", content=inputs, prefix=False)]
    made = []
    for given in inputs:
        kind = given.get("type") or (
            "function.result" if "tool_call_id" in given else "message.input"
        )
        fields = {k: v for k, v in given.items() if k not in ("object", "type", "id")}
        if kind == "message.input":
            fields.setdefault("role", "user")
            fields.setdefault("prefix", False)
        made.append(new_entry(kind, **fields))
    return made


def messages_for(instructions: str | None, entries: Iterable[Entry]) -> list[Message]:
    """The chat messages a conversation's entries stand for, in order."""
    messages: list[Message] = []
    if instructions:
        messages.append({"role": "system", "content": instructions})
    pending: list[Entry] = []
    for entry in entries:
        calls = entry.get("_call")
        if calls is not None:
            pending.append(entry)
            continue
        _flush(messages, pending)
        kind = entry.get("type")
        if kind == "message.input":
            messages.append({"role": entry.get("role", "user"), "content": text_of(entry)})
        elif kind == "message.output":
            messages.append({"role": "assistant", "content": entry.get("_text", text_of(entry))})
        elif kind == "function.result":
            messages.append(
                {"role": "tool", "tool_call_id": entry["tool_call_id"], "content": entry["result"]}
            )
    _flush(messages, pending)
    return messages


def _flush(messages: list[Message], pending: list[Entry]) -> None:
    """One assistant message per model step with its tool calls, then the tools' results."""
    while pending:
        step = pending[0]["_call"]["step"]
        group = [e for e in pending if e["_call"]["step"] == step]
        del pending[: len(group)]
        messages.append(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": e["_call"]["id"],
                        "type": "function",
                        "function": {"name": e["name"], "arguments": e["arguments"]},
                    }
                    for e in group
                ],
            }
        )
        for e in group:
            if "result" in e["_call"]:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": e["_call"]["id"],
                        "name": e["name"],
                        "content": e["_call"]["result"],
                    }
                )


def text_of(entry: Entry) -> str:
    content = entry.get("content")
    if isinstance(content, str):
        return content
    parts = []
    for chunk in content or []:
        if isinstance(chunk, dict) and chunk.get("type") == "text":
            parts.append(str(chunk.get("text", "")))
    return "".join(parts)
