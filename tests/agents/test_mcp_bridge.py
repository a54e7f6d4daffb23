"""``etagere mcp --server-url``: the stdio bridge to a running server, driven by the official
MCP client over stdio exactly as Claude Desktop would start it."""

from __future__ import annotations

import os
import sys

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import TextResourceContents

from tests.agents.conftest import NOTES_NAME, AgentWorld
from tests.agents.test_mcp import TOOLS, error_text, find_read_and_cite, run, structured


def bridge_parameters(agents: AgentWorld, key: str) -> StdioServerParameters:
    """The bridge knows only the URL and the key: no data directory, no database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETAGERE_")}
    env["ETAGERE_API_KEY"] = key
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "etagere", "mcp", "--server-url", agents.server.url],
        env=env,
    )


def test_bridge_serves_the_same_tools_as_the_direct_mode(agents: AgentWorld) -> None:
    async def scenario() -> None:
        async with (
            Client(bridge_parameters(agents, agents.viewer.key)) as bridged,
            Client(agents.stdio_parameters(agents.viewer.key)) as direct,
        ):
            through = {t.name: t for t in (await bridged.list_tools()).tools}
            local = {t.name: t for t in (await direct.list_tools()).tools}
            assert set(through) == TOOLS
            for name, tool in local.items():
                assert through[name].input_schema == tool.input_schema, name
                assert through[name].output_schema == tool.output_schema, name
                assert through[name].description == tool.description, name
            assert bridged.instructions == direct.instructions

    run(scenario)


def test_bridge_finds_reads_and_cites(agents: AgentWorld) -> None:
    async def scenario() -> None:
        async with Client(bridge_parameters(agents, agents.viewer.key)) as client:
            await find_read_and_cite(agents, client)
            refused = await client.call_tool(
                "read", {"library_id": agents.library_id, "document_id": "nope"}
            )
            assert "not_found" in error_text(refused)
            listed = await client.list_resources()
            assert [r.name for r in listed.resources] == ["Agent shelf"]
            uri = (
                f"etagere://libraries/{agents.library_id}/documents/{agents.documents[NOTES_NAME]}"
            )
            content = (await client.read_resource(uri)).contents[0]
            assert isinstance(content, TextResourceContents) and "heron" in content.text

    run(scenario)


def test_bridge_acts_with_the_key_it_was_given(agents: AgentWorld) -> None:
    async def scenario() -> None:
        async with Client(bridge_parameters(agents, agents.stranger.key)) as client:
            assert structured(await client.call_tool("list_libraries", {}))["libraries"] == []
            hidden = await client.call_tool(
                "search", {"query": "heron", "library_ids": [agents.library_id]}
            )
            assert "not_found" in error_text(hidden)

    run(scenario)


def test_bridge_with_a_bad_key_fails(agents: AgentWorld) -> None:
    async def scenario() -> None:
        with pytest.raises(Exception):  # noqa: B017 - the bridge cannot connect and exits
            async with Client(bridge_parameters(agents, "etg_not_a_key")) as client:
                await client.list_tools()

    run(scenario)
