"""The MCP tools: small named functions over ``agents.tools``, registered from ``TOOLS``.

Each function's signature is its tool's schema (the MCP SDK reads the annotations) and its
docstring is the description the model sees. The services and the caller come from the
server the request reached (``EtagereMCP``), so every tool goes through the same access check
as the REST API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from etagere.agents import tools
from etagere.core.errors import DomainError
from etagere.core.model import Caller
from etagere.domain.reading import MAX_GREP_MATCHES, MAX_READ_CHARS
from etagere.runtime import Services

T = TypeVar("T")

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
        ctx, lambda svc, caller: tools.list_libraries(svc, caller, search, page_token, limit)
    )


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
        ctx,
        lambda svc, caller: tools.list_documents(
            svc,
            caller,
            library_id,
            search=search,
            where=filter,
            page=page,
            page_size=page_size,
        ),
    )


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
        ctx,
        lambda svc, caller: tools.search_results(
            query,
            tools.search(svc, caller, query, library_ids, top_k, filter),
        ),
    )


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
        ctx,
        lambda svc, caller: tools.read(
            svc,
            caller,
            library_id,
            document_id,
            pages=(page_start, page_end),
            chars=(start_offset, end_offset),
            max_chars=max_chars,
        ),
    )


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
        ctx,
        lambda svc, caller: tools.grep(
            svc, caller, library_id, document_id, pattern, mode, max_matches
        ),
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
        ctx, lambda svc, caller: tools.upload_text(svc, caller, library_id, name, text, attributes)
    )


TOOLS: tuple[tuple[Callable[..., Any], ToolAnnotations], ...] = (
    (list_libraries, READ_ONLY),
    (list_documents, READ_ONLY),
    (search, READ_ONLY),
    (read, READ_ONLY),
    (grep, READ_ONLY),
    (upload_text, WRITES),
)


def _run(ctx: Context, call: Callable[[Services, Caller], T]) -> T:
    """Run a tool body as the caller; domain errors become tool errors the model can act on."""
    server = ctx.mcp_server
    resolve = getattr(server, "caller_of", None)
    services: Services | None = getattr(server, "services", None)
    if resolve is None or services is None:
        raise ToolError("internal: the tool is served by an unexpected server")
    try:
        return call(services, resolve(ctx))
    except ToolError:
        raise
    except DomainError as exc:
        raise ToolError(f"{exc.code}: {exc.message}") from exc
