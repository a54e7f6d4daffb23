"""Wire models of ``/v1/agents`` (SDK ``CreateAgentRequest``, ``UpdateAgentRequest``, ``Agent``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from etagere.storage.metadata.agents import AgentRow

# Tools are checked by the domain (``check_tools``), which names what etagere can run.
ToolsIn = list[dict[str, Any]]


class CreateAgentIn(BaseModel):
    model: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=500)
    instructions: str | None = None
    tools: ToolsIn = Field(default_factory=list)
    completion_args: dict[str, Any] | None = None
    guardrails: list[dict[str, Any]] | None = None
    description: str | None = None
    handoffs: list[str] | None = None
    metadata: dict[str, Any] | None = None
    version_message: str | None = None

    def config(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class UpdateAgentIn(BaseModel):
    instructions: str | None = None
    tools: ToolsIn | None = None
    completion_args: dict[str, Any] | None = None
    guardrails: list[dict[str, Any]] | None = None
    model: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    handoffs: list[str] | None = None
    deployment_chat: bool | None = None
    metadata: dict[str, Any] | None = None
    version_message: str | None = None

    def changes(self) -> dict[str, Any]:
        """Fields the caller sent; a new version's message is never inherited."""
        sent = self.model_dump(mode="json", exclude_unset=True)
        sent.pop("deployment_chat", None)
        return {"version_message": None, **sent}


def agent_out(row: AgentRow) -> dict[str, Any]:
    """The SDK's ``Agent``: the version's configuration plus identity and version numbers."""
    config = row.config
    return {
        "object": "agent",
        "id": str(row.id),
        "model": config["model"],
        "name": config["name"],
        "instructions": config.get("instructions"),
        "tools": config.get("tools") or [],
        "completion_args": config.get("completion_args") or {},
        "guardrails": config.get("guardrails"),
        "description": config.get("description"),
        "handoffs": config.get("handoffs"),
        "metadata": config.get("metadata"),
        "version_message": config.get("version_message"),
        "version": row.version,
        "versions": row.versions,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "deployment_chat": False,
        "source": "api",
        "owner_id": str(row.created_by),
    }
