"""One real server per backend for every agent test: a library of sample documents and people.

The world is package-scoped: processing the documents (extraction, embedding) is the slow
part, and every agent test only reads them, or adds documents of its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mistralai.client import Mistral

from tests.conftest import BACKENDS, client_for
from tests.support.documents import upload, upload_bytes, wait_settled
from tests.support.people import Directory, Person, module_store
from tests.support.servers import EtagereServer, StoreLocation

DOCS = ("word_processors.pdf", "crazy_ones.pdf")
NOTES_NAME = "field-notes.md"
NOTES = """\
# Field notes

The heron stood in the shallow water at dawn.
A kingfisher flashed blue over the reeds.
Later the heron caught a small silver fish.
"""


@dataclass
class AgentWorld:
    server: EtagereServer
    store: StoreLocation
    sdk: Mistral  # the owner (the bootstrap key)
    library_id: str
    documents: dict[str, str]  # file name -> document id
    viewer: Person  # Viewer of the library through a user grant
    stranger: Person  # same organization, no grant
    outsider: Person  # another organization
    revoked: Person  # a workspace member whose key was revoked
    people: Directory

    def text(self, name: str) -> str:
        return self.sdk.beta.libraries.documents.text_content(
            library_id=self.library_id, document_id=self.documents[name]
        ).text

    @asynccontextmanager
    async def mcp_http(self, key: str | None) -> AsyncIterator[Client]:
        """The official MCP client over streamable HTTP, with ``key`` as bearer (or none)."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{self.server.url}/mcp", http_client=http)) as client,
        ):
            yield client

    def stdio_parameters(self, key: str) -> StdioServerParameters:
        """``etagere mcp`` on the server's store, as a client such as Claude Desktop starts it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETAGERE_")}
        env["ETAGERE_API_KEY"] = key
        return StdioServerParameters(
            command=sys.executable,
            args=["-m", "etagere", "mcp", "--workers", "0", *self.store.flags()],
            env=env,
        )


@pytest.fixture(scope="package", params=BACKENDS)
def agents(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentWorld]:
    backend: str = request.param
    pg = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    samples: Path = request.getfixturevalue("samples")
    with module_store(backend, tmp_path_factory.mktemp(f"agents-{backend}"), pg) as store:
        server = EtagereServer(store=store).start(extra_env={"ETAGERE_WORKERS": "2"})
        people = Directory(store)
        try:
            yield _build(server, store, people, samples)
        finally:
            people.close()
            server.stop()


def _build(
    server: EtagereServer, store: StoreLocation, people: Directory, samples: Path
) -> AgentWorld:
    sdk = client_for(server, server.api_key)
    library = sdk.beta.libraries.create(name="Agent shelf", description="papers and notes")
    documents = {name: upload(sdk, library.id, samples / name).id for name in DOCS}
    documents[NOTES_NAME] = upload_bytes(sdk, library.id, NOTES_NAME, NOTES.encode()).id
    for document_id in documents.values():
        assert wait_settled(sdk, library.id, document_id).process_status == "done"
    sdk.beta.libraries.documents.update(
        library_id=library.id,
        document_id=documents[NOTES_NAME],
        attributes={"kind": "notes", "year": 2024},
    )
    default_workspace = str(sdk.beta.libraries.get(library_id=library.id).owner_id)
    viewer = people.person()
    sdk.beta.libraries.accesses.update_or_create(
        library_id=library.id,
        level="Viewer",
        share_with_uuid=viewer.user_id,
        share_with_type="User",
    )
    revoked = people.person(workspace=default_workspace)
    people.identity.revoke_key(revoked.key_id)
    return AgentWorld(
        server=server,
        store=store,
        sdk=sdk,
        library_id=library.id,
        documents=documents,
        viewer=viewer,
        stranger=people.person(),
        outsider=people.person(org=people.org()),
        revoked=revoked,
        people=people,
    )
