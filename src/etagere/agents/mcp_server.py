"""The MCP server: etagere's libraries as tools and resources, built with the official ``mcp`` SDK.

One server definition serves both transports. Who is calling is decided by a ``CallerResolver``:
over HTTP it reads the caller the ``/mcp`` endpoint authenticated from the bearer key; over
stdio it authenticates the key given to ``etagere mcp``. Tools call the domain services with
that caller, so DESIGN §2's access rules (and the single ``require_library`` check) apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ListResourcesResult, PaginatedRequestParams, Resource

import etagere
from etagere.agents import tools
from etagere.agents.mcp_tools import TOOLS
from etagere.core.errors import DomainError
from etagere.core.model import Caller
from etagere.runtime import Services

# The transport's request object for this message (a Starlette Request over HTTP, None on stdio).
CallerResolver = Callable[[object | None], Caller]
T = TypeVar("T")

LIBRARY_URI = "etagere://libraries/{library_id}"
DOCUMENT_URI = "etagere://libraries/{library_id}/documents/{document_id}"
MAX_LISTED_LIBRARIES = 100

INSTRUCTIONS = """\
etagere holds document libraries (PDFs, Office files, web pages... as extracted Markdown text).
Typical use: `search` to find passages relevant to a question, then `read` (by page or by
character offsets) or `grep` to look around a passage, and cite what you use as
"document name, page". `list_libraries` and `list_documents` show what exists. Ids are UUIDs
taken from earlier results; never invent them."""


class EtagereMCP(MCPServer):
    """``MCPServer`` whose resource list depends on the caller (the libraries it can read)."""

    def __init__(self, services: Services, resolve_caller: CallerResolver) -> None:
        super().__init__(
            "etagere",
            title="etagere document libraries",
            instructions=INSTRUCTIONS,
            version=etagere.__version__,
        )
        self.services = services
        self.resolve_caller = resolve_caller

    def caller_of(self, ctx: Context) -> Caller:
        """Who sent the request ``ctx`` belongs to; refused callers get a readable tool error."""
        try:
            return self.resolve_caller(ctx.request_context.request)
        except DomainError as exc:
            raise ToolError(exc.message) from exc

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        # The SDK lists only resources registered up front; ours are per caller.
        def libraries() -> tools.LibraryList:
            caller = self.resolve_caller(ctx.request)
            return tools.list_libraries(self.services, caller, None, None, MAX_LISTED_LIBRARIES)

        try:
            found = await anyio.to_thread.run_sync(libraries)
        except DomainError as exc:
            raise ResourceError(exc.message) from exc
        return ListResourcesResult(
            resources=[
                Resource(
                    uri=LIBRARY_URI.format(library_id=lib.id),
                    name=lib.name,
                    title=f"Library {lib.name}",
                    description=lib.description or f"{lib.documents} document(s)",
                    mime_type="application/json",
                )
                for lib in found.libraries
            ]
        )


def build_mcp_server(services: Services, resolve_caller: CallerResolver) -> EtagereMCP:
    """The server with its tools and resources; ``resolve_caller`` says who is calling."""
    server = EtagereMCP(services, resolve_caller)
    for function, hints in TOOLS:
        server.add_tool(function, annotations=hints)
    _register_resources(server, services, server.caller_of)
    return server


def _register_resources(
    server: MCPServer, services: Services, caller_of: Callable[[Context], Caller]
) -> None:
    @server.resource(LIBRARY_URI, name="library", mime_type="application/json")
    def library(library_id: str, ctx: Context) -> str:
        """A library and its newest documents (up to 100), as JSON."""

        def describe() -> str:
            caller = caller_of(ctx)
            view = services.libraries.get(caller, tools.uuid_of(library_id, "Library"))
            listing = tools.list_documents(services, caller, library_id, page_size=100)
            body = {
                "library": tools.library_info(view).model_dump(mode="json"),
                "documents": [d.model_dump(mode="json") for d in listing.documents],
                "total_documents": listing.total,
            }
            return json.dumps(body, ensure_ascii=False)

        return _resource(describe)

    @server.resource(DOCUMENT_URI, name="document", mime_type="text/markdown")
    def document(library_id: str, document_id: str, ctx: Context) -> str:
        """A document's extracted text (Markdown)."""

        def text() -> str:
            return services.documents.text(
                caller_of(ctx),
                tools.uuid_of(library_id, "Library"),
                tools.uuid_of(document_id, "Document"),
            )

        return _resource(text)


def _resource(call: Callable[[], str]) -> str:
    try:
        return call()
    except ToolError as exc:
        raise ResourceError(str(exc)) from exc
    except DomainError as exc:
        raise ResourceError(f"{exc.code}: {exc.message}") from exc
