"""The MCP permission table: every tool (and resource) x every kind of caller -> the outcome.

MCP tools are not in the OpenAPI document, so ``tests/test_permission_matrix.py`` cannot see
them; this table is their matrix. It is driven with the official MCP client over streamable
HTTP on a real server, on SQLite and PostgreSQL. Outcomes: ``ok``; ``not_found`` (the library
is invisible to the caller, never revealed); ``forbidden`` (visible, role too low); ``401``
(the connection itself is refused, before any tool runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.agents.conftest import NOTES_NAME, AgentWorld

PRINCIPALS = ("owner", "viewer", "no_grant", "other_org", "revoked", "no_key")

Args = Callable[[AgentWorld], dict[str, Any]]


def _doc(world: AgentWorld) -> dict[str, Any]:
    return {"library_id": world.library_id, "document_id": world.documents[NOTES_NAME]}


# fmt: off
#                    owner   viewer       no_grant     other_org    revoked no_key
TOOLS: dict[str, tuple[Args, tuple[str, ...]]] = {
    "list_libraries": (lambda w: {},
                       ("ok", "ok", "ok", "ok", "401", "401")),
    "list_documents": (lambda w: {"library_id": w.library_id},
                       ("ok", "ok", "not_found", "not_found", "401", "401")),
    "search":         (lambda w: {"query": "heron", "library_ids": [w.library_id]},
                       ("ok", "ok", "not_found", "not_found", "401", "401")),
    "read":           (lambda w: {**_doc(w), "page_start": 1},
                       ("ok", "ok", "not_found", "not_found", "401", "401")),
    "grep":           (lambda w: {**_doc(w), "pattern": "heron"},
                       ("ok", "ok", "not_found", "not_found", "401", "401")),
    "upload_text":    (lambda w: {"library_id": w.library_id, "name": "perm.md",
                                  "text": "A permission probe about herons."},
                       ("ok", "forbidden", "not_found", "not_found", "401", "401")),
}
RESOURCE = ("ok", "ok", "not_found", "not_found", "401", "401")
# fmt: on


def _key(world: AgentWorld, principal: str) -> str | None:
    return {
        "owner": world.server.api_key,
        "viewer": world.viewer.key,
        "no_grant": world.stranger.key,
        "other_org": world.outsider.key,
        "revoked": world.revoked.key,
        "no_key": None,
    }[principal]


async def _outcome(world: AgentWorld, key: str | None, act: Callable[[Client], Any]) -> str:
    try:
        async with world.mcp_http(key) as client:
            return str(await act(client))
    except (ExceptionGroup, MCPError) as exc:
        if key is None or key == world.revoked.key:
            return "401"
        raise AssertionError(f"unexpected failure: {exc!r}") from exc


async def _call_tool(client: Client, name: str, args: dict[str, Any], world: AgentWorld) -> str:
    result = await client.call_tool(name, args)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    if not result.is_error:
        if name == "list_libraries":  # visible or not: the listing itself always works
            listed = {lib["id"] for lib in (result.structured_content or {})["libraries"]}
            return "ok" if world.library_id in listed else "ok (library not listed)"
        return "ok"
    return next(code for code in ("not_found", "forbidden") if code in text)


@pytest.mark.parametrize("tool", list(TOOLS))
def test_tool_permissions(agents: AgentWorld, tool: str) -> None:
    make_args, expected = TOOLS[tool]
    got = {}
    for principal in PRINCIPALS:
        key = _key(agents, principal)
        args = make_args(agents)
        got[principal] = anyio.run(
            _outcome, agents, key, lambda c, a=args: _call_tool(c, tool, a, agents)
        )
    if tool == "list_libraries":
        # Everyone may list; only those with access see the library.
        expected = ("ok", "ok", "ok (library not listed)", "ok (library not listed)", "401", "401")
    wrong = {
        p: f"expected {e}, got {g}"
        for p, e, g in zip(PRINCIPALS, expected, got.values(), strict=True)
        if e != g
    }
    assert not wrong, f"{tool}: {wrong}"
    for document in agents.sdk.beta.libraries.documents.list(
        library_id=agents.library_id, search="perm"
    ).data:
        agents.sdk.beta.libraries.documents.delete(
            library_id=agents.library_id, document_id=document.id
        )


def test_resource_permissions(agents: AgentWorld) -> None:
    uri = f"etagere://libraries/{agents.library_id}/documents/{agents.documents[NOTES_NAME]}"

    async def read(client: Client) -> str:
        try:
            await client.read_resource(uri)
        except MCPError as exc:
            return next(c for c in ("not_found", "forbidden") if c in exc.error.message)
        return "ok"

    got = tuple(anyio.run(_outcome, agents, _key(agents, p), read) for p in PRINCIPALS)
    assert got == RESOURCE
