"""``/v1/conversations``: Mistral's Conversations API, plain JSON or server-sent events."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from etagere.conversations.entries import now
from etagere.conversations.loop import TurnDone
from etagere.conversations.service import StartRequest, Turn
from etagere.core.errors import DomainError, InvalidInput
from etagere.http.auth import CallerDep
from etagere.http.errors import status_for
from etagere.http.routes.agents import require_upstream
from etagere.http.state import services
from etagere.http.wire.conversations import (
    AppendIn,
    RestartIn,
    StartIn,
    conversation_out,
    entry_out,
    event_out,
    response_out,
    sse,
)
from etagere.http.wire.libraries import MAX_PAGE

log = logging.getLogger("etagere.http.conversations")

router = APIRouter(
    prefix="/v1/conversations", tags=["conversations"], dependencies=[Depends(require_upstream)]
)


@router.post("", response_model=None)
def start_conversation(
    request: Request, caller: CallerDep, body: StartIn
) -> dict[str, Any] | StreamingResponse:
    """Start a conversation with an agent, or with a model, tools and instructions."""
    turn = services(request).conversations.start(
        caller,
        StartRequest(
            inputs=body.inputs,
            store=body.store is not False,
            agent_id=_uuid(body.agent_id, "agent_id") if body.agent_id else None,
            agent_version=_version(body.agent_version),
            model=body.model,
            instructions=body.instructions,
            tools=body.tools or [],
            completion_args=body.completion_args or {},
            name=body.name,
            description=body.description,
            metadata=body.metadata,
        ),
    )
    return _answer(request, turn, body.stream)


@router.get("", response_model=None)
def list_conversations(
    request: Request,
    caller: CallerDep,
    page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
    page_size: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[dict[str, Any]]:
    """The caller's conversations, newest first."""
    rows = services(request).conversations.list_conversations(caller, page, page_size)
    return [conversation_out(row) for row in rows]


@router.get("/{conversation_id}", response_model=None)
def get_conversation(request: Request, caller: CallerDep, conversation_id: UUID) -> dict[str, Any]:
    return conversation_out(services(request).conversations.get(caller, conversation_id))


@router.post("/{conversation_id}", response_model=None)
def append_to_conversation(
    request: Request, caller: CallerDep, conversation_id: UUID, body: AppendIn
) -> dict[str, Any] | StreamingResponse:
    """New inputs (messages, or ``function.result`` entries) and the model's next turn."""
    turn = services(request).conversations.append(
        caller,
        conversation_id,
        body.inputs,
        keep=body.store,
        completion_args=body.completion_args,
    )
    return _answer(request, turn, body.stream)


@router.post("/{conversation_id}/restart", response_model=None)
def restart_conversation(
    request: Request, caller: CallerDep, conversation_id: UUID, body: RestartIn
) -> dict[str, Any] | StreamingResponse:
    """A new conversation from one of this one's entries, then the model's turn."""
    turn = services(request).conversations.restart(
        caller,
        conversation_id,
        body.from_entry_id,
        body.inputs,
        keep=body.store,
        completion_args=body.completion_args,
        agent_version=_version(body.agent_version),
    )
    return _answer(request, turn, body.stream)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_conversation(request: Request, caller: CallerDep, conversation_id: UUID) -> Response:
    services(request).conversations.delete(caller, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{conversation_id}/history", response_model=None)
def conversation_history(
    request: Request, caller: CallerDep, conversation_id: UUID
) -> dict[str, Any]:
    entries = services(request).conversations.history(caller, conversation_id)
    base = _base(request)
    return {
        "object": "conversation.history",
        "conversation_id": str(conversation_id),
        "entries": [entry_out(e, base) for e in entries],
    }


@router.get("/{conversation_id}/messages", response_model=None)
def conversation_messages(
    request: Request, caller: CallerDep, conversation_id: UUID
) -> dict[str, Any]:
    entries = services(request).conversations.history(caller, conversation_id)
    base = _base(request)
    return {
        "object": "conversation.messages",
        "conversation_id": str(conversation_id),
        "messages": [
            entry_out(e, base) for e in entries if e["type"] in ("message.input", "message.output")
        ],
    }


def _answer(request: Request, turn: Turn, stream: bool) -> dict[str, Any] | StreamingResponse:
    base = _base(request)
    if stream:
        return StreamingResponse(_events(turn, base), media_type="text/event-stream")
    done = None
    for event in turn.run(False):
        if isinstance(event, TurnDone):
            done = event
    assert done is not None, "a turn always ends with TurnDone"
    return response_out(str(turn.conversation_id), done, base)


def _events(turn: Turn, base: str) -> Iterator[str]:
    """The turn as server-sent events; a failure mid-turn is an error event, not a cut stream."""
    started = {
        "type": "conversation.response.started",
        "conversation_id": str(turn.conversation_id),
        "created_at": now(),
    }
    yield sse(started)
    try:
        for event in turn.run(True):
            yield sse(event_out(event, base, now()))
    except DomainError as exc:
        yield sse(_error(exc.message, status_for(exc)))


def _error(message: str, code: int) -> dict[str, Any]:
    return {"type": "conversation.response.error", "message": message, "code": code}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _uuid(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not an id", ("body", field)) from exc


def _version(value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if not value.isdigit():
        raise InvalidInput(f"{value!r} is not a version number", ("body", "agent_version"))
    return int(value)
