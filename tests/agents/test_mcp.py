"""The MCP server, driven by the official MCP client over streamable HTTP and over stdio."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp_types import CallToolResult, TextResourceContents

from tests.agents.conftest import NOTES, NOTES_NAME, AgentWorld
from tests.support.documents import wait_settled

PDF = "word_processors.pdf"
TOOLS = {"list_libraries", "list_documents", "search", "read", "grep", "upload_text"}


def run(test: Callable[[], Awaitable[None]]) -> None:
    anyio.run(test)


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


async def find_read_and_cite(agents: AgentWorld, client: Client) -> None:
    """What an agent does: search, cite, read around the passage, grep inside the document."""
    found = structured(
        await client.call_tool(
            "search",
            {
                "query": "When was the typewriter patented?",
                "top_k": 3,
                "library_ids": [agents.library_id],
            },
        )
    )
    top = found["results"][0]
    assert top["document_name"] == PDF and top["document_id"] == agents.documents[PDF]
    assert top["citation"].startswith("p") and top["pages"]
    text = agents.text(PDF)
    assert text[top["start_offset"] : top["end_offset"]] == top["text"]

    around = structured(
        await client.call_tool(
            "read",
            {
                "library_id": agents.library_id,
                "document_id": top["document_id"],
                "start_offset": max(0, top["start_offset"] - 200),
                "end_offset": top["end_offset"] + 200,
            },
        )
    )
    assert top["text"] in around["text"] and around["total_chars"] == len(text)
    page = structured(
        await client.call_tool(
            "read",
            {
                "library_id": agents.library_id,
                "document_id": top["document_id"],
                "page_start": 2,
                "page_end": 2,
            },
        )
    )
    assert page["pages"] == [2] and page["text"] and page["text"] in text

    matches = structured(
        await client.call_tool(
            "grep",
            {
                "library_id": agents.library_id,
                "document_id": agents.documents[NOTES_NAME],
                "pattern": "the heron",
            },
        )
    )
    assert matches["total_matches"] == 2
    lines = NOTES.splitlines()
    for match in matches["matches"]:
        line = lines[match["line"] - 1]
        column = match["column"] - 1
        assert line[column : column + len("the heron")].lower() == "the heron"
        assert match["page"] == 1


def test_http_tools_find_read_and_cite(agents: AgentWorld) -> None:
    async def scenario() -> None:
        async with agents.mcp_http(agents.viewer.key) as client:
            listed = await client.list_tools()
            assert {t.name for t in listed.tools} == TOOLS
            for tool in listed.tools:
                assert tool.description and len(tool.description) > 60, tool.name
                properties = tool.input_schema.get("properties", {})
                assert "ctx" not in properties
            await find_read_and_cite(agents, client)

    run(scenario)


def test_http_listings_and_resources(agents: AgentWorld) -> None:
    async def scenario() -> None:
        async with agents.mcp_http(agents.viewer.key) as client:
            libraries = structured(await client.call_tool("list_libraries", {}))["libraries"]
            mine = [lib for lib in libraries if lib["id"] == agents.library_id]
            assert mine and mine[0]["your_role"] == "Viewer" and mine[0]["documents"] == 3
            notes = structured(
                await client.call_tool(
                    "list_documents",
                    {
                        "library_id": agents.library_id,
                        "filter": {"type": "equal", "field": "kind", "value": "notes"},
                    },
                )
            )
            assert [d["name"] for d in notes["documents"]] == [NOTES_NAME]
            assert notes["documents"][0]["status"] == "done"

            resources = await client.list_resources()
            uri = f"etagere://libraries/{agents.library_id}"
            assert uri in {str(r.uri) for r in resources.resources}
            read = await client.read_resource(uri)
            content = read.contents[0]
            assert isinstance(content, TextResourceContents)
            body = json.loads(content.text)
            assert body["library"]["name"] == "Agent shelf" and body["total_documents"] == 3
            doc_uri = f"{uri}/documents/{agents.documents[NOTES_NAME]}"
            text = (await client.read_resource(doc_uri)).contents[0]
            assert isinstance(text, TextResourceContents) and "kingfisher" in text.text

    run(scenario)


def test_upload_text_needs_editor_rights(agents: AgentWorld) -> None:
    note = f"The osprey {secrets.token_hex(4)} dives feet first for trout."

    async def scenario() -> None:
        async with agents.mcp_http(agents.viewer.key) as viewer:
            refused = await viewer.call_tool(
                "upload_text", {"library_id": agents.library_id, "name": "x.md", "text": note}
            )
            assert "forbidden" in error_text(refused)
        async with agents.mcp_http(agents.server.api_key) as owner:
            made = structured(
                await owner.call_tool(
                    "upload_text",
                    {
                        "library_id": agents.library_id,
                        "name": "osprey",
                        "text": note,
                        "attributes": {"kind": "agent-note"},
                    },
                )
            )
            assert made["created"] and made["name"] == "osprey.md"
            done = wait_settled(agents.sdk, agents.library_id, made["document_id"])
            assert done.process_status == "done" and done.attributes == {"kind": "agent-note"}
            hits = structured(
                await owner.call_tool("search", {"query": "osprey trout", "top_k": 1})
            )["results"]
            assert hits[0]["document_id"] == made["document_id"]
            again = structured(
                await owner.call_tool(
                    "upload_text", {"library_id": agents.library_id, "name": "o", "text": note}
                )
            )
            assert not again["created"] and again["document_id"] == made["document_id"]
        agents.sdk.beta.libraries.documents.delete(
            library_id=agents.library_id, document_id=made["document_id"]
        )

    run(scenario)


@pytest.mark.parametrize("key", [None, "etg_not_a_key"], ids=["no key", "bad key"])
def test_http_unauthorised_client_is_refused(agents: AgentWorld, key: str | None) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    raw = httpx.post(
        f"{agents.server.url}/mcp",
        json=initialize,
        headers={**headers, "Accept": "application/json, text/event-stream"},
        timeout=30,
    )
    assert raw.status_code == 401 and raw.json()["code"] == "unauthenticated"

    async def scenario() -> None:
        with pytest.raises(Exception):  # noqa: B017 - the SDK raises an ExceptionGroup here
            async with agents.mcp_http(key) as client:
                await client.list_tools()

    run(scenario)


def test_stdio_transport(agents: AgentWorld) -> None:
    async def scenario() -> None:
        async with Client(agents.stdio_parameters(agents.viewer.key)) as client:
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            await find_read_and_cite(agents, client)
            refused = await client.call_tool(
                "read", {"library_id": agents.library_id, "document_id": "nope"}
            )
            assert "not_found" in error_text(refused)

    run(scenario)


def test_stdio_refuses_a_bad_key(agents: AgentWorld) -> None:
    async def scenario() -> None:
        with pytest.raises(Exception):  # noqa: B017 - the server process exits at once
            async with Client(agents.stdio_parameters("etg_not_a_key")) as client:
                await client.list_tools()

    run(scenario)
