"""``document_library``: a function-calling tool definition (OpenAI/Mistral style), its output.

The definition is a JSON schema a chat completion request takes as is (``tools=[...]``). When
the model calls it, the caller posts the call's arguments back to etagere, which searches and
answers with passages formatted for the model: numbered, each with its citation (document
title, page) and a signed URL of the document's extracted text, so that answers can cite
``[n]`` and link to the source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from etagere.agents.tools import CitedPassage, cited
from etagere.core.model import LibraryView
from etagere.core.passages import Passage

TOOL_NAME = "document_library"
MAX_TOP_K = 20
DEFAULT_TOP_K = 5
# The description names the libraries so the model knows when the tool is worth calling.
MAX_NAMED_LIBRARIES = 20


class ToolArguments(BaseModel):
    """The arguments a model passes (the definition's ``parameters``)."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000)
    top_k: int = Field(default=DEFAULT_TOP_K, ge=1, le=MAX_TOP_K)


class ToolResult(BaseModel):
    """``content`` goes back to the model as the tool message; ``citations`` are for people."""

    content: str
    citations: list[CitedPassage]


def tool_definition(libraries: Sequence[LibraryView]) -> dict[str, Any]:
    """The function definition, describing the libraries it searches."""
    named = [_describe(v) for v in libraries[:MAX_NAMED_LIBRARIES]]
    more = len(libraries) - len(named)
    scope = "; ".join(named) + (f"; and {more} more" if more > 0 else "")
    description = (
        "Search the user's document libraries for passages relevant to a question, "
        "combining keyword and semantic search. "
        f"Libraries searched: {scope or 'none yet'}. "
        "Returns numbered passages, each with its source document, page and a link. "
        "Call it whenever the answer may be in these documents; cite passages as [n]."
    )
    return {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "description": "What to look for: the question or its key terms.",
                    },
                    "top_k": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_TOP_K,
                        "default": DEFAULT_TOP_K,
                        "description": "How many passages to return.",
                    },
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        },
    }


def format_results(
    query: str, passages: Sequence[Passage], url_of: Callable[[Passage], str]
) -> ToolResult:
    """Numbered, cited passages for the model, and the same citations as data."""
    if not passages:
        return ToolResult(content=f"No passage found for {query!r}.", citations=[])
    citations = cited(passages, url_of)
    blocks = [
        f"[{c.rank}] {c.document_name}, {c.citation}\n"
        f"Source: {c.url} (characters {c.start_offset}-{c.end_offset})\n"
        f"{c.text.strip()}"
        for c in citations
    ]
    header = (
        f"{len(passages)} passage(s) found for {query!r}. "
        "Cite a passage as [n]; its source link opens the document's text."
    )
    return ToolResult(content="\n\n".join([header, *blocks]), citations=citations)


def _describe(view: LibraryView) -> str:
    library = view.library
    text = f'"{library.name}" ({library.nb_documents} documents'
    if library.description:
        text += f": {library.description[:200]}"
    return text + ")"
