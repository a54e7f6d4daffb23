"""Conversation rules: start, append, restart, read, delete; private to the user who started.

A turn is returned as a lazy stream of events so that streaming and plain responses share one
path; its entries (the inputs and every output) are written in one transaction when the turn
completes, or never when ``store`` is false. A failed turn leaves no trace.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from etagere.conversations.agents import AgentService, check_tools
from etagere.conversations.entries import Entry, input_entries, new_entry
from etagere.conversations.errors import UpstreamNotConfigured
from etagere.conversations.loop import TurnDone, TurnEvent, TurnRunner, TurnSetup
from etagere.core.errors import InvalidInput, NotFound
from etagere.core.model import Caller
from etagere.storage.metadata import Database
from etagere.storage.metadata import conversations as store
from etagere.storage.metadata.conversations import ConversationRow
from etagere.storage.metadata.types import utcnow

Inputs = str | list[dict[str, Any]]


@dataclass(frozen=True)
class StartRequest:
    inputs: Inputs
    store: bool = True
    agent_id: uuid.UUID | None = None
    agent_version: int | None = None
    model: str | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    completion_args: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class Turn:
    """A turn about to run: its conversation id, and ``run(stream)`` that runs it lazily."""

    conversation_id: uuid.UUID
    run: Callable[[bool], Iterator[TurnEvent]]


class ConversationService:
    def __init__(self, db: Database, agents: AgentService, runner: TurnRunner | None) -> None:
        self.db = db
        self.agents = agents
        self.runner = runner

    def start(self, caller: Caller, request: StartRequest) -> Turn:
        runner = self._runner()
        if (request.agent_id is None) == (request.model is None):
            raise InvalidInput("give either agent_id or model", ("body", "agent_id"))
        config: dict[str, Any] = {
            "name": request.name,
            "description": request.description,
            "metadata": request.metadata,
        }
        if request.model is not None:
            with self.db.read() as conn:
                check_tools(conn, caller, request.tools)
            config |= {
                "model": request.model,
                "instructions": request.instructions,
                "tools": request.tools,
                "completion_args": request.completion_args,
            }
        now = utcnow()
        row = ConversationRow(
            id=uuid.uuid4(),
            org_id=caller.org_id,
            user_id=caller.user_id,
            agent_id=request.agent_id,
            agent_version=request.agent_version,
            config=config,
            created_at=now,
            updated_at=now,
        )
        setup = self._setup(caller, row, request.completion_args)
        inputs = input_entries(request.inputs)

        def persist(entries: list[Entry]) -> None:
            with self.db.write() as conn:
                store.insert_conversation(conn, row)
                store.append_entries(conn, row.id, entries, utcnow())

        return _turn(row.id, runner, caller, setup, [], inputs, persist if request.store else None)

    def append(
        self,
        caller: Caller,
        conversation_id: uuid.UUID,
        inputs: Inputs | None,
        *,
        keep: bool = True,
        completion_args: dict[str, Any] | None = None,
    ) -> Turn:
        runner = self._runner()
        with self.db.read() as conn:
            row = _found(conn, caller, conversation_id)
            history = store.entries(conn, conversation_id)
        setup = self._setup(caller, row, completion_args or {})

        def persist(entries: list[Entry]) -> None:
            with self.db.write() as conn:
                _found(conn, caller, conversation_id, for_update=True)
                store.append_entries(conn, conversation_id, entries, utcnow())

        new = input_entries(inputs) if inputs else []
        return _turn(
            conversation_id, runner, caller, setup, history, new, persist if keep else None
        )

    def restart(
        self,
        caller: Caller,
        conversation_id: uuid.UUID,
        from_entry_id: str,
        inputs: Inputs | None,
        *,
        keep: bool = True,
        completion_args: dict[str, Any] | None = None,
        agent_version: int | None = None,
    ) -> Turn:
        """A new conversation with the entries up to ``from_entry_id``, then the new inputs."""
        runner = self._runner()
        with self.db.read() as conn:
            old = _found(conn, caller, conversation_id)
            history = store.entries(conn, conversation_id)
        ids = [e["id"] for e in history]
        if from_entry_id not in ids:
            raise NotFound(f"Entry {from_entry_id} not found in conversation {conversation_id}")
        kept = [_copy(e) for e in history[: ids.index(from_entry_id) + 1]]
        now = utcnow()
        version = agent_version if agent_version is not None else old.agent_version
        row = ConversationRow(
            id=uuid.uuid4(),
            org_id=old.org_id,
            user_id=old.user_id,
            agent_id=old.agent_id,
            agent_version=version,
            config=old.config,
            created_at=now,
            updated_at=now,
        )
        setup = self._setup(caller, row, completion_args or {})

        def persist(entries: list[Entry]) -> None:
            with self.db.write() as conn:
                store.insert_conversation(conn, row)
                store.append_entries(conn, row.id, [*kept, *entries], utcnow())

        new = input_entries(inputs) if inputs else []
        return _turn(row.id, runner, caller, setup, kept, new, persist if keep else None)

    def get(self, caller: Caller, conversation_id: uuid.UUID) -> ConversationRow:
        with self.db.read() as conn:
            return _found(conn, caller, conversation_id)

    def list_conversations(
        self, caller: Caller, page: int, page_size: int
    ) -> list[ConversationRow]:
        with self.db.read() as conn:
            return store.list_conversations(conn, caller.user_id, page * page_size, page_size)

    def history(self, caller: Caller, conversation_id: uuid.UUID) -> list[Entry]:
        with self.db.read() as conn:
            _found(conn, caller, conversation_id)
            return store.entries(conn, conversation_id)

    def delete(self, caller: Caller, conversation_id: uuid.UUID) -> None:
        with self.db.write() as conn:
            _found(conn, caller, conversation_id, for_update=True)
            store.delete_conversation(conn, conversation_id)

    def _runner(self) -> TurnRunner:
        if self.runner is None:
            raise UpstreamNotConfigured()
        return self.runner

    def _setup(
        self, caller: Caller, row: ConversationRow, completion_args: dict[str, Any]
    ) -> TurnSetup:
        """The model, instructions and tools of this turn: the agent's, or the conversation's."""
        if row.agent_id is None:
            config = row.config
            agent_id = None
        else:
            agent = self.agents.get(caller, row.agent_id, row.agent_version)
            config = agent.config
            agent_id = str(agent.id)
        return TurnSetup(
            model=str(config["model"]),
            instructions=config.get("instructions"),
            tools=list(config.get("tools") or []),
            completion_args={**(config.get("completion_args") or {}), **completion_args},
            agent_id=agent_id,
        )


def _turn(
    conversation_id: uuid.UUID,
    runner: TurnRunner,
    caller: Caller,
    setup: TurnSetup,
    history: Sequence[Entry],
    inputs: list[Entry],
    persist: Callable[[list[Entry]], None] | None,
) -> Turn:
    def run(stream: bool) -> Iterator[TurnEvent]:
        for event in runner.run_turn(caller, setup, [*history, *inputs], stream=stream):
            if isinstance(event, TurnDone) and persist is not None:
                persist([*inputs, *event.outputs])
            yield event

    return Turn(conversation_id, run)


def _copy(entry: Entry) -> Entry:
    fields = {k: v for k, v in entry.items() if k not in ("object", "type", "id")}
    return new_entry(str(entry["type"]), **fields)


def _found(
    conn: Any, caller: Caller, conversation_id: uuid.UUID, *, for_update: bool = False
) -> ConversationRow:
    row = store.get_conversation(conn, caller.user_id, conversation_id, for_update=for_update)
    if row is None:
        raise NotFound(f"Conversation {conversation_id} not found")
    return row
