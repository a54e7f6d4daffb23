"""``/v1/agents``: Mistral's Agents API (``client.beta.agents``), when a model is configured."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from etagere.conversations.errors import UpstreamNotConfigured
from etagere.core.errors import InvalidInput
from etagere.http.auth import CallerDep
from etagere.http.state import services
from etagere.http.wire.agents import CreateAgentIn, UpdateAgentIn, agent_out
from etagere.http.wire.libraries import MAX_PAGE

MAX_PAGE_SIZE = 100


def require_upstream(request: Request) -> None:
    """503 naming the settings when no language model is configured."""
    if services(request).conversations.runner is None:
        raise UpstreamNotConfigured()


router = APIRouter(prefix="/v1/agents", tags=["agents"], dependencies=[Depends(require_upstream)])

PageQuery = Annotated[int, Query(ge=0, le=MAX_PAGE)]
PageSizeQuery = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


@router.post("", response_model=None)
def create_agent(request: Request, caller: CallerDep, body: CreateAgentIn) -> dict[str, Any]:
    """Create an agent (version 0) in the caller's workspace."""
    return agent_out(services(request).agents.create(caller, body.config()))


@router.get("", response_model=None)
def list_agents(
    request: Request,
    caller: CallerDep,
    page: PageQuery = 0,
    page_size: PageSizeQuery = 20,
    name: Annotated[str | None, Query(max_length=500)] = None,
    search: Annotated[str | None, Query(max_length=500)] = None,
) -> list[dict[str, Any]]:
    """The workspace's agents, newest first, at their current versions."""
    rows = services(request).agents.list_agents(caller, page, page_size, search or name)
    return [agent_out(row) for row in rows]


@router.get("/{agent_id}", response_model=None)
def get_agent(
    request: Request,
    caller: CallerDep,
    agent_id: UUID,
    agent_version: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    version = _version(agent_version) if agent_version is not None else None
    return agent_out(services(request).agents.get(caller, agent_id, version))


@router.patch("/{agent_id}", response_model=None)
def update_agent(
    request: Request, caller: CallerDep, agent_id: UUID, body: UpdateAgentIn
) -> dict[str, Any]:
    """Apply changes as a new version, which becomes current."""
    return agent_out(services(request).agents.update(caller, agent_id, body.changes()))


@router.delete("/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agent(request: Request, caller: CallerDep, agent_id: UUID) -> Response:
    services(request).agents.delete(caller, agent_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{agent_id}/version", response_model=None)
def switch_version(
    request: Request, caller: CallerDep, agent_id: UUID, version: Annotated[int, Query(ge=0)]
) -> dict[str, Any]:
    """Make an existing version current."""
    return agent_out(services(request).agents.set_version(caller, agent_id, version))


@router.get("/{agent_id}/versions", response_model=None)
def list_versions(
    request: Request,
    caller: CallerDep,
    agent_id: UUID,
    page: PageQuery = 0,
    page_size: PageSizeQuery = 20,
) -> list[dict[str, Any]]:
    rows = services(request).agents.list_versions(caller, agent_id, page, page_size)
    return [agent_out(row) for row in rows]


@router.get("/{agent_id}/versions/{version}", response_model=None)
def get_version(
    request: Request, caller: CallerDep, agent_id: UUID, version: str
) -> dict[str, Any]:
    return agent_out(services(request).agents.get(caller, agent_id, _version(version)))


def _version(value: str) -> int:
    """Version numbers only (aliases are not supported)."""
    if not value.isdigit():
        raise InvalidInput(f"{value!r} is not a version number", ("query", "agent_version"))
    return int(value)
