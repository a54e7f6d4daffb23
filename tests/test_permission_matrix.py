"""The permission matrix: every route x every kind of caller -> the expected HTTP status.

``MATRIX`` below is the table. Its rows must be exactly the routes the server publishes in its
OpenAPI document (``test_matrix_covers_every_route``), so a new route without a row fails. Each
row is driven by the official SDK on a real server, on SQLite and on PostgreSQL.

MCP tools are not in the OpenAPI document: their table is ``tests/agents/test_mcp_permissions.py``.

Callers (columns), and the library each one is tested against:
- ``owner``: created the library (owned by its workspace);
- ``member``: a member of the owning workspace (Editor by ownership);
- ``editor_user``: another workspace, Editor through a grant to the user;
- ``editor_ws``: another workspace, Editor through a grant to that workspace;
- ``viewer_org``: another workspace, Viewer through a grant to the whole org (tested on a
  library shared only with the org: an org grant reaches everyone in the org, so the main
  library, which ``no_grant`` must not see, cannot carry one);
- ``no_grant``: same organization, no grant; ``other_org``: another organization;
- ``revoked``: a revoked key of a workspace member; ``no_key``: no Authorization header.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from mistralai.client import Mistral

from tests.conftest import BACKENDS, client_for
from tests.support.documents import upload_bytes, wait_settled
from tests.support.people import Directory, RecordingClient, module_store, recording_client
from tests.support.servers import EtagereServer

# SDK 3.7.0 types share_with_type as User | Workspace; "Org" still goes through.
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")

PRINCIPALS = (
    "owner",
    "member",
    "editor_user",
    "editor_ws",
    "viewer_org",
    "no_grant",
    "other_org",
    "revoked",
    "no_key",
)

# Routes tested elsewhere or not part of the API surface.
EXCLUDED_PATHS = {
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/v1/signed/documents/{document_id}/{served}",  # no key: see test_signed_url_of_a_viewer
    # Agents and conversations (workspace agents, private conversations, libraries checked at
    # call time) are tested in tests/conversations, with a model server to answer.
    "/v1/agents",
    "/v1/agents/{agent_id}",
    "/v1/agents/{agent_id}/version",
    "/v1/agents/{agent_id}/versions",
    "/v1/agents/{agent_id}/versions/{version}",
    "/v1/conversations",
    "/v1/conversations/{conversation_id}",
    "/v1/conversations/{conversation_id}/restart",
    "/v1/conversations/{conversation_id}/history",
    "/v1/conversations/{conversation_id}/messages",
}


@dataclass(frozen=True)
class Target:
    """What a row acts on: a library, one of its documents, and a bystander holding a grant."""

    library_id: str
    document_id: str
    bystander_id: str


Call = Callable[[Mistral, Target], object]


@dataclass(frozen=True)
class Row:
    call: Call
    expected: tuple[int, ...]
    fresh: bool = False  # destructive: each caller gets a library of its own


def _unique() -> bytes:
    return f"matrix upload {secrets.token_hex(8)}\n".encode()


def _post(sdk: Mistral, path: str, body: dict[str, object]) -> object:
    """A route the SDK has no method for: the same HTTP client, key and status recording."""
    config = sdk.sdk_configuration
    security = config.security
    key = getattr(security, "api_key", None) if security is not None else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return config.client.post(config.server_url + path, json=body, headers=headers)


def _get(sdk: Mistral, path: str, params: dict[str, object]) -> object:
    config = sdk.sdk_configuration
    security = config.security
    key = getattr(security, "api_key", None) if security is not None else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return config.client.get(config.server_url + path, params=params, headers=headers)


def _get_chunk(sdk: Mistral, t: Target) -> object:
    """Read the document's chunks, then fetch the first by id (same caller, same access)."""
    indexes = sdk.beta.context.search_indexes
    chunk = indexes.read(index_name=t.library_id, source_id=t.document_id).chunks[0]
    return indexes.get_chunk(index_name=t.library_id, chunk_id=chunk.id)


LIB = "/v1/libraries/{library_id}"
DOC = "/v1/libraries/{library_id}/documents/{document_id}"
IDX = "/v1/context/search-indexes"
IDX_ONE = IDX + "/{index_name}"
NO_CONTEXT_WRITES = (405, 405, 405, 405, 405, 405, 405, 401, 401)  # read-only indexes

# fmt: off
#                     owner member ed_user ed_ws viewer no_grant other_org revoked no_key
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/v1/libraries"): Row(
        lambda c, t: c.beta.libraries.list(),
        (200, 200, 200, 200, 200, 200, 200, 401, 401)),
    ("POST", "/v1/libraries"): Row(
        lambda c, t: c.beta.libraries.create(name="mine"),
        (201, 201, 201, 201, 201, 201, 201, 401, 401)),
    ("GET", LIB): Row(
        lambda c, t: c.beta.libraries.get(library_id=t.library_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("PATCH", LIB): Row(
        lambda c, t: c.beta.libraries.update(library_id=t.library_id, name="renamed"),
        (200, 200, 200, 200, 403, 404, 404, 401, 401)),
    ("PUT", LIB): Row(
        lambda c, t: c.beta.libraries.libraries_update_v1(library_id=t.library_id, name="put"),
        (200, 200, 200, 200, 403, 404, 404, 401, 401)),
    ("DELETE", LIB): Row(
        lambda c, t: c.beta.libraries.delete(library_id=t.library_id),
        (200, 403, 403, 403, 403, 404, 404, 401, 401), fresh=True),
    ("GET", LIB + "/share"): Row(
        lambda c, t: c.beta.libraries.accesses.list(library_id=t.library_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("PUT", LIB + "/share"): Row(
        lambda c, t: c.beta.libraries.accesses.update_or_create(
            library_id=t.library_id, level="Editor", share_with_uuid=t.bystander_id,
            share_with_type="User"),
        (200, 403, 403, 403, 403, 404, 404, 401, 401)),
    ("DELETE", LIB + "/share"): Row(
        lambda c, t: c.beta.libraries.accesses.delete(
            library_id=t.library_id, share_with_uuid=t.bystander_id, share_with_type="User"),
        (200, 403, 403, 403, 403, 404, 404, 401, 401), fresh=True),
    ("GET", LIB + "/documents"): Row(
        lambda c, t: c.beta.libraries.documents.list(library_id=t.library_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", LIB + "/documents"): Row(
        lambda c, t: upload_bytes(c, t.library_id, "new.txt", _unique()),
        (201, 201, 201, 201, 403, 404, 404, 401, 401)),
    ("GET", DOC): Row(
        lambda c, t: c.beta.libraries.documents.get(
            library_id=t.library_id, document_id=t.document_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("PATCH", DOC): Row(
        lambda c, t: c.beta.libraries.documents.update(
            library_id=t.library_id, document_id=t.document_id, name="renamed.txt"),
        (200, 200, 200, 200, 403, 404, 404, 401, 401)),
    ("PUT", DOC): Row(
        lambda c, t: c.beta.libraries.documents.libraries_documents_update_v1(
            library_id=t.library_id, document_id=t.document_id, name="put.txt"),
        (200, 200, 200, 200, 403, 404, 404, 401, 401)),
    ("DELETE", DOC): Row(
        lambda c, t: c.beta.libraries.documents.delete(
            library_id=t.library_id, document_id=t.document_id),
        (204, 204, 204, 204, 403, 404, 404, 401, 401), fresh=True),
    ("GET", DOC + "/text_content"): Row(
        lambda c, t: c.beta.libraries.documents.text_content(
            library_id=t.library_id, document_id=t.document_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("GET", DOC + "/status"): Row(
        lambda c, t: c.beta.libraries.documents.status(
            library_id=t.library_id, document_id=t.document_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("GET", DOC + "/signed-url"): Row(
        lambda c, t: c.beta.libraries.documents.get_signed_url(
            library_id=t.library_id, document_id=t.document_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("GET", DOC + "/extracted-text-signed-url"): Row(
        lambda c, t: c.beta.libraries.documents.extracted_text_signed_url(
            library_id=t.library_id, document_id=t.document_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", DOC + "/reprocess"): Row(
        lambda c, t: c.beta.libraries.documents.reprocess(
            library_id=t.library_id, document_id=t.document_id),
        (204, 204, 204, 204, 403, 404, 404, 401, 401), fresh=True),
    ("POST", LIB + "/search"): Row(
        lambda c, t: _post(c, f"/v1/libraries/{t.library_id}/search", {"query": "matrix"}),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", "/v1/search"): Row(
        lambda c, t: _post(c, "/v1/search", {"query": "matrix", "library_ids": [t.library_id]}),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("GET", IDX): Row(
        lambda c, t: c.beta.context.search_indexes.list(),
        (200, 200, 200, 200, 200, 200, 200, 401, 401)),
    ("GET", IDX_ONE): Row(
        lambda c, t: c.beta.context.search_indexes.get(index_name=t.library_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", IDX_ONE + "/search"): Row(
        lambda c, t: c.beta.context.search_indexes.search(
            index_name=t.library_id, retriever={"type": "keyword", "query": "matrix"}),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", IDX_ONE + "/navigate"): Row(
        lambda c, t: c.beta.context.search_indexes.navigate(
            index_name=t.library_id, source_id=t.document_id, start_offset=0, end_offset=1,
            direction="next"),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", IDX_ONE + "/read"): Row(
        lambda c, t: c.beta.context.search_indexes.read(
            index_name=t.library_id, source_id=t.document_id),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", IDX_ONE + "/grep"): Row(
        lambda c, t: c.beta.context.search_indexes.grep(
            index_name=t.library_id, source_id=t.document_id, pattern="matrix"),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("GET", IDX_ONE + "/chunks/{chunk_id}"): Row(
        _get_chunk, (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", IDX): Row(
        lambda c, t: c.beta.context.search_indexes.create(
            name="x", config={"embedding": {"type": "custom", "name": "m", "dimensions": 3}}),
        NO_CONTEXT_WRITES),
    ("PUT", IDX_ONE): Row(
        lambda c, t: c.beta.context.search_indexes.update(index_name=t.library_id, schema={}),
        NO_CONTEXT_WRITES),
    ("DELETE", IDX_ONE): Row(
        lambda c, t: c.beta.context.search_indexes.delete(index_name=t.library_id),
        NO_CONTEXT_WRITES),
    ("POST", IDX_ONE + "/documents"): Row(
        lambda c, t: c.beta.context.search_indexes.ingest_documents(
            index_name=t.library_id, documents=[{"id": "1"}]),
        NO_CONTEXT_WRITES),
    ("DELETE", IDX_ONE + "/documents"): Row(
        lambda c, t: c.beta.context.search_indexes.delete_documents(
            index_name=t.library_id, document_ids=["1"]),
        NO_CONTEXT_WRITES),
    ("GET", IDX_ONE + "/summary_field/{language}"): Row(
        lambda c, t: c.beta.context.search_indexes.get_index_summary(
            index_name=t.library_id, language="en"),
        NO_CONTEXT_WRITES),
    ("PUT", IDX_ONE + "/summary_field/{language}"): Row(
        lambda c, t: c.beta.context.search_indexes.set_index_summary(
            index_name=t.library_id, language="en", content="x", status="handwritten",
            translated=False),
        NO_CONTEXT_WRITES),
    ("POST", IDX_ONE + "/summary_field/{language}"): Row(
        lambda c, t: c.beta.context.search_indexes.generate_index_summary(
            index_name=t.library_id, language="en"),
        NO_CONTEXT_WRITES),
    ("GET", "/v1/tools/document_library"): Row(
        lambda c, t: _get(c, "/v1/tools/document_library", {"library_ids": [t.library_id]}),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
    ("POST", "/v1/tools/document_library"): Row(
        lambda c, t: _post(
            c, f"/v1/tools/document_library?library_ids={t.library_id}", {"query": "matrix"}),
        (200, 200, 200, 200, 200, 404, 404, 401, 401)),
}
# fmt: on


@dataclass
class World:
    """A server, the callers of the matrix, and the libraries they are tested against."""

    server: EtagereServer
    people: Directory
    owner: Mistral
    keys: dict[str, str | None]
    grants: dict[str, tuple[str, str]]  # editor_user / editor_ws / bystander -> (type, id)
    shared: dict[str, Target]  # principal -> target, for rows that do not destroy it

    def target_for(self, principal: str, *, fresh: bool) -> Target:
        if not fresh:
            return self.shared[principal]
        return self.make_target(org_wide=principal == "viewer_org")

    def make_target(self, *, org_wide: bool) -> Target:
        """A workspace library of ``owner`` with one document and the matrix's grants."""
        lib = self.owner.beta.libraries.create(name="matrix")
        accesses = self.owner.beta.libraries.accesses
        grants = (
            [("Org", self.grants["org"][1], "Viewer")]
            if org_wide
            else [
                (*self.grants["editor_user"], "Editor"),
                (*self.grants["editor_ws"], "Editor"),
            ]
        )
        grants.append((*self.grants["bystander"], "Viewer"))
        for kind, target, level in grants:
            accesses.update_or_create(
                library_id=lib.id,
                level=level,  # type: ignore[arg-type]
                share_with_uuid=target,
                share_with_type=kind,  # type: ignore[arg-type]
            )
        doc = upload_bytes(self.owner, lib.id, "doc.txt", _unique())
        return Target(lib.id, doc.id, self.grants["bystander"][1])


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    backend: str = request.param
    pg = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    with module_store(backend, tmp_path_factory.mktemp(f"matrix-{backend}"), pg) as store:
        server = EtagereServer(store=store).start()
        people = Directory(store)
        try:
            yield _build_world(server, people)
        finally:
            people.close()
            server.stop()


def _build_world(server: EtagereServer, people: Directory) -> World:
    owner = people.person()
    editor_ws_workspace = people.workspace()
    revoked = people.person(workspace=owner.workspace_id)
    people.identity.revoke_key(revoked.key_id)
    keys: dict[str, str | None] = {
        "owner": owner.key,
        "member": people.person(workspace=owner.workspace_id).key,
        "editor_user": (editor_user := people.person()).key,
        "editor_ws": people.person(workspace=editor_ws_workspace).key,
        "viewer_org": people.person().key,
        "no_grant": people.person().key,
        "other_org": people.person(org=people.org()).key,
        "revoked": revoked.key,
        "no_key": None,
    }
    world = World(
        server=server,
        people=people,
        owner=client_for(server, owner.key),
        keys=keys,
        grants={
            "editor_user": ("User", editor_user.user_id),
            "editor_ws": ("Workspace", editor_ws_workspace),
            "org": ("Org", owner.org_id),
            "bystander": ("User", people.person().user_id),
        },
        shared={},
    )
    main, org_wide = world.make_target(org_wide=False), world.make_target(org_wide=True)
    for target in (main, org_wide):
        assert wait_settled(world.owner, target.library_id, target.document_id).process_status
    world.shared = {p: org_wide if p == "viewer_org" else main for p in PRINCIPALS}
    return world


def test_matrix_covers_every_route(world: World) -> None:
    spec = httpx.get(f"{world.server.url}/openapi.json", timeout=30).json()
    published = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path not in EXCLUDED_PATHS
        for method in operations
    }
    assert published - set(MATRIX) == set(), "routes without a row in MATRIX"
    assert set(MATRIX) - published == set(), "rows of MATRIX for routes that do not exist"


@pytest.mark.parametrize("route", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_route_permissions(world: World, route: tuple[str, str]) -> None:
    row = MATRIX[route]
    assert len(row.expected) == len(PRINCIPALS)
    got = {}
    for principal in PRINCIPALS:
        target = world.target_for(principal, fresh=row.fresh)
        client: RecordingClient = recording_client(world.server, world.keys[principal])
        got[principal] = client.status_of(lambda sdk, t=target: row.call(sdk, t))
        client.close()
    expected = dict(zip(PRINCIPALS, row.expected, strict=True))
    wrong = {
        p: f"expected {expected[p]}, got {got[p]}" for p in PRINCIPALS if got[p] != expected[p]
    }
    assert not wrong, f"{route[0]} {route[1]}: {wrong}"


def test_signed_url_of_a_viewer(world: World) -> None:
    """A Viewer's signed URL works without a key; its life is bounded by the documented 30 min.

    Removing the grant stops the Viewer from minting new URLs at once; a URL already minted
    stays valid until it expires (README, "Signed URLs").
    """
    target = world.make_target(org_wide=True)
    wait_settled(world.owner, target.library_id, target.document_id)
    viewer = client_for(world.server, world.keys["viewer_org"])  # type: ignore[arg-type]
    url = viewer.beta.libraries.documents.get_signed_url(
        library_id=target.library_id, document_id=target.document_id
    )
    fetched = httpx.get(url if url.startswith("http") else world.server.url + url, timeout=30)
    assert fetched.status_code == 200 and fetched.content.startswith(b"matrix upload")
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    assert time.time() < expires <= time.time() + 30 * 60 + 5

    world.owner.beta.libraries.accesses.delete(
        library_id=target.library_id, share_with_uuid=world.grants["org"][1], share_with_type="Org"
    )
    again = recording_client(world.server, world.keys["viewer_org"])
    status = again.status_of(
        lambda sdk: sdk.beta.libraries.documents.get_signed_url(
            library_id=target.library_id, document_id=target.document_id
        )
    )
    again.close()
    assert status == 404
