"""``/v1/tools/document_library``: a function-calling tool definition, and running it.

``GET`` answers the definition to pass in a chat completion's ``tools``; when the model calls
it, ``POST`` the call's ``arguments`` (the JSON text as is) to the same URL with the same
``library_ids``, and give the answer's ``content`` back to the model as the tool message.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from etagere.agents.function_tool import (
    TOOL_NAME,
    ToolArguments,
    ToolResult,
    format_results,
    tool_definition,
)
from etagere.core.model import Caller
from etagere.core.passages import Passage, document_keys
from etagere.domain.libraries import MAX_PAGE_SIZE
from etagere.domain.search import hybrid
from etagere.http.auth import CallerDep
from etagere.http.state import services

router = APIRouter(prefix=f"/v1/tools/{TOOL_NAME}", tags=["agents"])

LibraryIds = Annotated[
    list[UUID] | None,
    Query(
        max_length=100,
        description="Libraries the tool searches (repeat the parameter); default: all readable.",
    ),
]


@router.get("", response_model=dict[str, Any])
def get_tool(request: Request, caller: CallerDep, library_ids: LibraryIds = None) -> dict[str, Any]:
    """The ``document_library`` function definition (JSON schema) for tool calling."""
    svc = services(request)
    if library_ids:
        views = [svc.libraries.get(caller, i) for i in dict.fromkeys(library_ids)]
    else:
        views = svc.libraries.list(caller, page_size=MAX_PAGE_SIZE).items
    return tool_definition(views)


@router.post("", response_model=ToolResult)
def run_tool(
    request: Request, caller: CallerDep, body: ToolArguments, library_ids: LibraryIds = None
) -> ToolResult:
    """Run a ``document_library`` call: numbered passages with their citations and links."""
    svc = services(request)
    ids = list(dict.fromkeys(library_ids)) if library_ids else None
    hits = svc.search.search(caller, ids, hybrid(body.query, body.top_k, None))
    urls = _text_urls(request, caller, hits)
    return format_results(body.query, hits, lambda h: urls[h.document_id])


def _text_urls(request: Request, caller: Caller, hits: list[Passage]) -> dict[UUID, str]:
    """A signed URL of each cited document's extracted text (minted through the access check)."""
    base = str(request.base_url).rstrip("/")
    documents = services(request).documents
    return {
        document: base + documents.signed_path(caller, library, document, "text")
        for library, document in document_keys(hits)
    }
