"""``etagere mcp --server-url``: a stdio MCP server that forwards to a running etagere's ``/mcp``.

Some MCP clients only start stdio servers; this bridge lets them reach a remote or scaled-out
etagere without opening its database. It is an MCP client of the server's streamable HTTP
endpoint (with the API key as bearer) and an MCP server on stdio, and forwards tools,
resources and resource templates as they are: the names, schemas and answers are the
server's own, so they are identical to the direct mode by construction, and every call goes
through the server's access check.
"""

from __future__ import annotations

from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
)

import etagere

# Searches and reads can take a while on a loaded server; MCP clients have their own limits.
UPSTREAM_TIMEOUT_S = 120.0


def _cursor(params: PaginatedRequestParams | None) -> str | None:
    return params.cursor if params is not None else None


def build_bridge(upstream: Client) -> Server[Any]:
    """A stdio-side server whose every request is answered by ``upstream``."""

    async def list_tools(
        _ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return await upstream.list_tools(cursor=_cursor(params), cache_mode="bypass")

    async def call_tool(
        _ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        return await upstream.call_tool(params.name, params.arguments)

    async def list_resources(
        _ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        # Per caller and changing (new libraries): never cached.
        return await upstream.list_resources(cursor=_cursor(params), cache_mode="bypass")

    async def list_templates(
        _ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourceTemplatesResult:
        return await upstream.list_resource_templates(cursor=_cursor(params), cache_mode="bypass")

    async def read_resource(
        _ctx: ServerRequestContext[Any], params: ReadResourceRequestParams
    ) -> ReadResourceResult:
        return await upstream.read_resource(str(params.uri), cache_mode="bypass")

    info = upstream.server_info
    return Server(
        "etagere",
        version=info.version if info else etagere.__version__,
        title=info.title if info else None,
        instructions=upstream.instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
    )


async def run_bridge(server_url: str, api_key: str) -> None:
    """Serve stdio until the client closes it, forwarding to ``server_url``'s ``/mcp``."""
    headers = {"Authorization": f"Bearer {api_key}"}
    endpoint = server_url.rstrip("/") + "/mcp"
    async with (
        httpx2.AsyncClient(headers=headers, timeout=UPSTREAM_TIMEOUT_S) as http,
        Client(streamable_http_client(endpoint, http_client=http)) as upstream,
        stdio_server() as (read, write),
    ):
        bridge = build_bridge(upstream)
        await bridge.run(read, write, bridge.create_initialization_options())
