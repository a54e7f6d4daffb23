"""The tool loop of one conversation turn: ask the model, run its tools, until it answers.

``run_turn`` yields events as they happen, so a streaming response forwards them at once and
a plain response collects them. Bounds: ``max_steps`` model calls per turn and a wall-clock
limit for the whole turn; each model call is also given at most the time that remains.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from etagere.conversations import library_tool
from etagere.conversations.citations import Citations, merge
from etagere.conversations.entries import Entry, messages_for, new_entry
from etagere.conversations.errors import UpstreamFailed, UpstreamTimeout
from etagere.conversations.library_tool import LibraryTool
from etagere.conversations.upstream import (
    ChatRequest,
    Message,
    Reply,
    TextDelta,
    ToolCall,
    Upstream,
    Usage,
    options_from,
)
from etagere.core.model import Caller


@dataclass(frozen=True)
class Limits:
    max_steps: int
    call_seconds: float
    turn_seconds: float


@dataclass(frozen=True)
class TurnSetup:
    """What one turn runs with: the agent's (or the request's) model, instructions and tools."""

    model: str
    instructions: str | None
    tools: list[dict[str, Any]]
    completion_args: dict[str, Any]
    agent_id: str | None = None

    @property
    def library_ids(self) -> list[UUID]:
        found: list[UUID] = []
        for tool in self.tools:
            if tool.get("type") == library_tool.NAME:
                found += [UUID(str(i)) for i in tool.get("library_ids", [])]
        return list(dict.fromkeys(found))

    @property
    def functions(self) -> list[dict[str, Any]]:
        return [t["function"] for t in self.tools if t.get("type") == "function"]


@dataclass(frozen=True)
class ToolStarted:
    entry: Entry
    output_index: int


@dataclass(frozen=True)
class ToolDone:
    entry: Entry
    output_index: int


@dataclass(frozen=True)
class FunctionCalled:
    entry: Entry
    output_index: int


@dataclass(frozen=True)
class OutputChunk:
    """One piece of the answer: text, or a reference chunk where the model cited a passage."""

    entry_id: str
    content: str | dict[str, Any]
    content_index: int
    output_index: int


@dataclass(frozen=True)
class TurnDone:
    outputs: list[Entry]
    usage: Usage = field(default_factory=Usage)


TurnEvent = ToolStarted | ToolDone | FunctionCalled | OutputChunk | TurnDone


class TurnRunner:
    def __init__(self, upstream: Upstream, tool: LibraryTool, limits: Limits) -> None:
        self.upstream = upstream
        self.tool = tool
        self.limits = limits

    def run_turn(
        self, caller: Caller, setup: TurnSetup, history: Sequence[Entry], *, stream: bool = False
    ) -> Iterator[TurnEvent]:
        """Run the model over ``history`` (inputs included) until it answers or calls a function."""
        deadline = time.monotonic() + self.limits.turn_seconds
        messages = messages_for(setup.instructions, history)
        tools = self._tool_specs(setup)
        outputs: list[Entry] = []
        references: dict[int, dict[str, Any]] = {}
        usage = Usage()
        for _step in range(self.limits.max_steps):
            request = ChatRequest(
                model=self.upstream.model_for(setup.model),
                messages=messages,
                tools=tools,
                options=options_from(setup.completion_args),
                timeout_seconds=self._remaining(deadline),
            )
            answer = _Answer(setup, references, len(outputs))
            reply = yield from self._ask(request, answer, stream)
            usage += reply.usage
            yield from answer.close(final=not reply.tool_calls)
            if answer.chunks:
                outputs.append(answer.entry(reply.content))
            if not reply.tool_calls:
                yield TurnDone(outputs, usage)
                return
            step = uuid.uuid4().hex
            messages.append(_assistant_calls(reply.tool_calls))
            functions: list[Entry] = []
            for call in reply.tool_calls:
                if call.name == library_tool.NAME and setup.library_ids:
                    entry = yield from self._run_library(
                        caller, setup, call, step, references, len(outputs)
                    )
                    outputs.append(entry)
                    messages.append(_tool_message(call, entry["_call"]["result"]))
                elif call.name in {f["name"] for f in setup.functions}:
                    functions.append(_function_call(setup, call, step))
                else:
                    messages.append(_tool_message(call, f"Error: there is no tool {call.name!r}"))
            if functions:
                for entry in functions:
                    outputs.append(entry)
                    yield FunctionCalled(entry, len(outputs) - 1)
                yield TurnDone(outputs, usage)
                return
        note = (
            f"(The turn stopped after {self.limits.max_steps} model calls without a final "
            "answer; ETAGERE_LLM_MAX_STEPS sets this limit.)"
        )
        answer = _Answer(setup, {}, len(outputs))
        yield from answer.feed(note)
        yield from answer.close()
        outputs.append(answer.entry(note))
        yield TurnDone(outputs, usage)

    def _ask(
        self, request: ChatRequest, answer: _Answer, stream: bool
    ) -> Generator[TurnEvent, None, Reply]:
        """One model call; streamed text goes out as it comes, plain text once complete."""
        if not stream:
            reply = self.upstream.chat.complete(request)
            yield from answer.feed(reply.content)
            return reply
        final: Reply | None = None
        for piece in self.upstream.chat.stream(request):
            if isinstance(piece, TextDelta):
                yield from answer.feed(piece.text)
            else:
                final = piece
        if final is None:
            raise UpstreamFailed("The language model's stream ended without a reply")
        return final

    def _run_library(
        self,
        caller: Caller,
        setup: TurnSetup,
        call: ToolCall,
        step: str,
        references: dict[int, dict[str, Any]],
        output_index: int,
    ) -> Generator[TurnEvent, None, Entry]:
        entry = new_entry(
            "tool.execution",
            name=library_tool.NAME,
            arguments=call.arguments,
            agent_id=setup.agent_id,
            model=setup.model,
        )
        yield ToolStarted(entry, output_index)
        result = self.tool.run(caller, setup.library_ids, call.arguments, len(references) + 1)
        references.update(result.references)
        entry["info"] = result.info
        entry["_call"] = {"id": call.id, "step": step, "result": result.text}
        yield ToolDone(entry, output_index)
        return entry

    def _tool_specs(self, setup: TurnSetup) -> list[dict[str, Any]]:
        specs = [library_tool.SPEC] if setup.library_ids else []
        for function in setup.functions:
            spec = {k: function[k] for k in ("name", "description", "parameters") if k in function}
            specs.append({"type": "function", "function": spec})
        return specs

    def _remaining(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise UpstreamTimeout(
                f"The turn took longer than {self.limits.turn_seconds:g} s "
                "(ETAGERE_LLM_TURN_SECONDS)"
            )
        return min(self.limits.call_seconds, left)


class _Answer:
    """The model's text of one step, cut into chunks and sent out as ``OutputChunk`` events."""

    def __init__(
        self, setup: TurnSetup, references: dict[int, dict[str, Any]], output_index: int
    ) -> None:
        self.setup = setup
        self.entry_id = str(uuid.uuid4())
        self.citations = Citations(references)
        self.output_index = output_index
        self.chunks: list[dict[str, Any]] = []
        self.content_index = -1

    def feed(self, text: str) -> Iterator[OutputChunk]:
        return self._emit(self.citations.feed(text))

    def close(self, final: bool = True) -> Iterator[OutputChunk]:
        return self._emit(self.citations.close(final))

    def entry(self, raw_text: str) -> Entry:
        """The ``message.output`` entry (content a plain string when it has no reference)."""
        chunks = merge(self.chunks)
        content: str | list[dict[str, Any]] = chunks
        if len(chunks) == 1 and chunks[0]["type"] == "text":
            content = chunks[0]["text"]
        return new_entry(
            "message.output",
            id=self.entry_id,
            role="assistant",
            content=content,
            agent_id=self.setup.agent_id,
            model=self.setup.model,
            _text=raw_text,
        )

    def _emit(self, chunks: list[dict[str, Any]]) -> Iterator[OutputChunk]:
        for chunk in chunks:
            is_text = chunk["type"] == "text"
            if not (is_text and self.chunks and self.chunks[-1]["type"] == "text"):
                self.content_index += 1
            self.chunks.append(chunk)
            piece: str | dict[str, Any] = chunk["text"] if is_text else chunk
            yield OutputChunk(self.entry_id, piece, self.content_index, self.output_index)


def _assistant_calls(calls: Sequence[ToolCall]) -> Message:
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ],
    }


def _tool_message(call: ToolCall, content: str) -> Message:
    return {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}


def _function_call(setup: TurnSetup, call: ToolCall, step: str) -> Entry:
    return new_entry(
        "function.call",
        tool_call_id=call.id,
        name=call.name,
        arguments=call.arguments,
        agent_id=setup.agent_id,
        model=setup.model,
        _call={"id": call.id, "step": step},
    )
