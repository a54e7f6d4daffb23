"""The MCP server: etagere's libraries as tools and resources, built with the official ``mcp`` SDK.

One server definition serves both transports. Who is calling is decided by a ``CallerResolver``:
over HTTP it reads the caller the ``/mcp`` endpoint authenticated from the bearer key; over
stdio it authenticates the key given to ``etagere mcp``. Tools call the domain services with
that caller, so DESIGN §2's access rules (and the single ``require_library`` check) apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import anyio.to_thread
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ListResourcesResult, PaginatedRequestParams, Resource, ToolAnnotations
from pydantic import Field

import etagere
from etagere.agents import tools
from etagere.core.errors import DomainError
from etagere.core.model import Caller
from etagere.domain.reading import MAX_GREP_MATCHES, MAX_READ_CHARS
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

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

LibraryId = Annotated[str, Field(description="A library id (UUID) from list_libraries or search.")]
DocumentId = Annotated[
    str, Field(description="A document id (UUID) from list_documents or search results.")
]
FilterArg = Annotated[
    dict[str, Any] | None,
    Field(
        description=(
            "Optional filter over document fields and attributes, e.g. "
            '{"type": "equal", "field": "team", "value": "legal"}; also "in" (with "values"), '
            '"range" (with gte/gt/lte/lt), and "and"/"or" (with "matches") or "not" (with '
            '"match"). Fields: name, mime_type, extension, size, created_at, document_id, or '
            "any attribute name."
        )
    ),
]


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

    def caller_of(ctx: Context) -> Caller:
        try:
            return resolve_caller(ctx.request_context.request)
        except DomainError as exc:
            raise ToolError(exc.message) from exc

    _register_tools(server, services, caller_of)
    _register_resources(server, services, caller_of)
    return server


def _register_tools(
    server: MCPServer, services: Services, caller_of: Callable[[Context], Caller]
) -> None:
    @server.tool(annotations=READ_ONLY)
    def list_libraries(
        ctx: Context,
        search: Annotated[
            str | None, Field(description="Only libraries whose name contains this text.")
        ] = None,
        page_token: Annotated[
            str | None, Field(description="next_page_token of a previous call, for more.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="At most this many.")] = 50,
    ) -> tools.LibraryList:
        """List the document libraries you can read: id, name, description, number of
        documents and your role (Viewer can read and search; Editor can also add documents)."""
        return _run(
            lambda: tools.list_libraries(services, caller_of(ctx), search, page_token, limit)
        )

    @server.tool(annotations=READ_ONLY)
    def list_documents(
        ctx: Context,
        library_id: LibraryId,
        search: Annotated[
            str | None, Field(description="Only documents whose name contains this text.")
        ] = None,
        filter: FilterArg = None,
        page: Annotated[int, Field(ge=0, description="Page number, from 0.")] = 0,
        page_size: Annotated[int, Field(ge=1, le=100)] = 50,
    ) -> tools.DocumentList:
        """List the documents of one library, newest first: id, name, type, number of pages,
        processing status (only "done" documents are searchable), summary and attributes."""
        return _run(
            lambda: tools.list_documents(
                services,
                caller_of(ctx),
                library_id,
                search=search,
                where=filter,
                page=page,
                page_size=page_size,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def search(
        ctx: Context,
        query: Annotated[
            str,
            Field(
                min_length=1,
                description="What to look for, in natural language or keywords.",
            ),
        ],
        library_ids: Annotated[
            list[str] | None,
            Field(description="Libraries to search (default: every library you can read)."),
        ] = None,
        top_k: Annotated[int, Field(ge=1, le=50, description="How many passages.")] = 8,
        filter: FilterArg = None,
    ) -> tools.SearchResults:
        """Search documents for passages relevant to a query (keyword and semantic search
        combined). Each result is a cited passage: document name and id, citation (page such
        as "p. 4", or section), character offsets into the document's text, score and text.
        Use read with the offsets or pages to see more around a passage."""
        return _run(
            lambda: tools.search_results(
                query,
                tools.search(services, caller_of(ctx), query, library_ids, top_k, filter),
            )
        )

    @server.tool(annotations=READ_ONLY)
    def read(
        ctx: Context,
        library_id: LibraryId,
        document_id: DocumentId,
        page_start: Annotated[
            int | None, Field(ge=1, description="First page to read (1-based, inclusive).")
        ] = None,
        page_end: Annotated[
            int | None, Field(ge=1, description="Last page to read (inclusive).")
        ] = None,
        start_offset: Annotated[
            int | None,
            Field(ge=0, description="Or: first character offset (e.g. a passage's offset)."),
        ] = None,
        end_offset: Annotated[
            int | None, Field(ge=0, description="Character offset where reading stops.")
        ] = None,
        max_chars: Annotated[
            int, Field(ge=1, le=MAX_READ_CHARS, description="At most this many characters.")
        ] = MAX_READ_CHARS,
    ) -> tools.TextRead:
        """Read a document's extracted text (Markdown), by page range OR by character range
        (not both), at most 20,000 characters per call. With neither, reads from the start.
        When the answer has next_offset, call again with start_offset=next_offset for more."""
        return _run(
            lambda: tools.read(
                services,
                caller_of(ctx),
                library_id,
                document_id,
                pages=(page_start, page_end),
                chars=(start_offset, end_offset),
                max_chars=max_chars,
            )
        )

    @server.tool(annotations=READ_ONLY)
    def grep(
        ctx: Context,
        library_id: LibraryId,
        document_id: DocumentId,
        pattern: Annotated[
            str, Field(min_length=1, max_length=1000, description="A phrase or some terms.")
        ],
        mode: Annotated[
            Literal["phrase", "terms"],
            Field(
                description='"phrase": the exact words in order (any spacing, any case); '
                '"terms": lines holding every word in any order.'
            ),
        ] = "phrase",
        max_matches: Annotated[int, Field(ge=1, le=MAX_GREP_MATCHES)] = 20,
    ) -> tools.GrepResults:
        """Find a phrase or terms inside one document's text: each match gives its line and
        column (1-based), character offsets, page and the line's text. total_matches counts
        every match even when only max_matches are returned."""
        return _run(
            lambda: tools.grep(
                services, caller_of(ctx), library_id, document_id, pattern, mode, max_matches
            )
        )

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, open_world_hint=False
        )
    )
    def upload_text(
        ctx: Context,
        library_id: LibraryId,
        name: Annotated[
            str, Field(min_length=1, max_length=200, description="Document name, e.g. notes.md")
        ],
        text: Annotated[str, Field(min_length=1, description="The content (Markdown or text).")],
        attributes: Annotated[
            dict[str, Any] | None,
            Field(description="Optional attributes: strings, numbers, booleans or lists."),
        ] = None,
    ) -> tools.Uploaded:
        """Create a document from text in a library where you are Editor. It is processed in
        the background (status "todo", then "done" when searchable, usually within seconds).
        The same text uploaded twice gives back the existing document (created false)."""
        return _run(
            lambda: tools.upload_text(services, caller_of(ctx), library_id, name, text, attributes)
        )


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


def _run(call: Callable[[], T]) -> T:
    """Run a tool body; domain errors become tool errors the model can read and act on."""
    try:
        return call()
    except ToolError:
        raise
    except DomainError as exc:
        raise ToolError(f"{exc.code}: {exc.message}") from exc


def _resource(call: Callable[[], str]) -> str:
    try:
        return call()
    except ToolError as exc:
        raise ResourceError(str(exc)) from exc
    except DomainError as exc:
        raise ResourceError(f"{exc.code}: {exc.message}") from exc
