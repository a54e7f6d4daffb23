"""Agent rules: agents belong to the workspace they were made in, and change by versions.

Every member of the workspace sees and edits its agents, as with workspace libraries. An
update never rewrites a version: it adds one and makes it current; ``update_version`` moves
the current version back or forth. A ``document_library`` tool may only name libraries the
caller can read, checked when the agent is written and again whenever the tool runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from etagere.conversations import library_tool
from etagere.core.errors import InvalidInput, NotFound
from etagere.core.model import Caller, Role
from etagere.domain.access import require_library
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import agents as store
from etagere.storage.metadata.agents import AgentRow
from etagere.storage.metadata.types import utcnow

SUPPORTED_TOOLS = (library_tool.NAME, "function")


class AgentService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, caller: Caller, config: dict[str, Any]) -> AgentRow:
        """A new agent at version 0, owned by the caller's workspace."""
        now = utcnow()
        row = AgentRow(
            id=uuid.uuid4(),
            org_id=caller.org_id,
            workspace_id=caller.workspace_id,
            created_by=caller.user_id,
            version=0,
            versions=[0],
            config=config,
            created_at=now,
            updated_at=now,
        )
        with self.db.write() as conn:
            check_tools(conn, caller, config.get("tools") or [])
            store.insert_agent(conn, row)
        return row

    def get(self, caller: Caller, agent_id: uuid.UUID, version: int | None = None) -> AgentRow:
        with self.db.read() as conn:
            return _found(conn, caller, agent_id, version)

    def list_agents(
        self, caller: Caller, page: int, page_size: int, search: str | None = None
    ) -> list[AgentRow]:
        with self.db.read() as conn:
            return store.list_agents(conn, caller.workspace_id, page * page_size, page_size, search)

    def update(self, caller: Caller, agent_id: uuid.UUID, changes: dict[str, Any]) -> AgentRow:
        """A new version: the current configuration with ``changes`` applied."""
        with self.db.write() as conn:
            current = _found(conn, caller, agent_id, None, for_update=True)
            config = {**current.config, **changes}
            check_tools(conn, caller, config.get("tools") or [])
            version = max(current.versions) + 1
            now = utcnow()
            store.insert_version(conn, agent_id, version, config, now)
            store.set_current_version(conn, agent_id, version, now)
            return _found(conn, caller, agent_id, None)

    def set_version(self, caller: Caller, agent_id: uuid.UUID, version: int) -> AgentRow:
        with self.db.write() as conn:
            current = _found(conn, caller, agent_id, None, for_update=True)
            if version not in current.versions:
                raise NotFound(f"Agent {agent_id} has no version {version}")
            store.set_current_version(conn, agent_id, version, utcnow())
            return _found(conn, caller, agent_id, None)

    def list_versions(
        self, caller: Caller, agent_id: uuid.UUID, page: int, page_size: int
    ) -> list[AgentRow]:
        with self.db.read() as conn:
            agent = _found(conn, caller, agent_id, None)
            return store.list_versions(conn, agent, page * page_size, page_size)

    def delete(self, caller: Caller, agent_id: uuid.UUID) -> None:
        with self.db.write() as conn:
            _found(conn, caller, agent_id, None, for_update=True)
            store.delete_agent(conn, agent_id)


def check_tools(conn: Connection, caller: Caller, tools: Sequence[dict[str, Any]]) -> None:
    """Only tools etagere runs, and only libraries the caller can read now."""
    for index, tool in enumerate(tools):
        kind = tool.get("type")
        if kind not in SUPPORTED_TOOLS:
            raise InvalidInput(
                f"etagere runs document_library and function tools; {kind!r} is not available",
                ("body", "tools", str(index), "type"),
            )
        if kind == "function" and not isinstance((tool.get("function") or {}).get("name"), str):
            raise InvalidInput(
                "a function tool needs function.name", ("body", "tools", str(index), "function")
            )
        if kind == library_tool.NAME:
            for library_id in tool.get("library_ids") or []:
                require_library(conn, caller, _uuid(library_id, index), Role.VIEWER)


def _uuid(value: Any, index: int) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidInput(
            f"{value!r} is not a library id", ("body", "tools", str(index), "library_ids")
        ) from exc


def _found(
    conn: Connection,
    caller: Caller,
    agent_id: uuid.UUID,
    version: int | None,
    *,
    for_update: bool = False,
) -> AgentRow:
    row = store.get_agent(conn, caller.workspace_id, agent_id, version, for_update=for_update)
    if row is None:
        suffix = f" version {version}" if version is not None else ""
        raise NotFound(f"Agent {agent_id}{suffix} not found")
    return row
