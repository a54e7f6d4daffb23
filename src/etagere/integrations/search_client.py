"""One search call to a running etagere, sync or async, returning cited passages.

Each passage carries what a RAG answer needs to cite its source: the document name and id,
the library, the citation (``"p. 4"`` or a section path), pages, offsets, attributes, and a
signed URL of the original file that opens without an API key (one request per distinct
document of the answer, skipped with ``signed_urls=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

SearchMode = Literal["hybrid", "keyword", "semantic"]
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class SearchFailed(Exception):
    """The server refused the search (bad key, unknown library, invalid filter...)."""


@dataclass(frozen=True)
class CitedPassage:
    text: str
    score: float
    metadata: dict[str, Any]


@dataclass(frozen=True)
class SearchSettings:
    """What to search and how: the fields both framework retrievers expose."""

    server_url: str
    api_key: str
    library_ids: list[str] | None = None  # None: every library the key can read
    mode: SearchMode = "hybrid"
    top_k: int = 8
    filter: dict[str, Any] | None = None  # the filter language of the README
    signed_urls: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, query: str) -> dict[str, Any]:
        """The ``POST /v1/search`` body for ``query`` in this mode."""
        body: dict[str, Any]
        if self.mode == "hybrid":
            body = {"query": query, "top_k": self.top_k, "filter": self.filter}
        else:
            kind = "keyword" if self.mode == "keyword" else "nearest_neighbour"
            retriever = {"type": kind, "query": query, "top_k": self.top_k, "filter": self.filter}
            body = {"retriever": retriever}
        if self.library_ids is not None:
            body["library_ids"] = self.library_ids
        return body

    def client_options(self) -> dict[str, Any]:
        return {
            "base_url": self.server_url.rstrip("/"),
            "headers": {"Authorization": f"Bearer {self.api_key}", **self.headers},
            "timeout": TIMEOUT,
        }


def search(settings: SearchSettings, query: str) -> list[CitedPassage]:
    with httpx.Client(**settings.client_options()) as http:
        hits = _hits(http.post("/v1/search", json=settings.body(query)))
        urls: dict[tuple[str, str], str] = {}
        if settings.signed_urls:
            for key in _documents(hits):
                urls[key] = _url(http.get(_signed_url_path(*key)))
    return [_passage(hit, urls) for hit in hits]


async def asearch(settings: SearchSettings, query: str) -> list[CitedPassage]:
    async with httpx.AsyncClient(**settings.client_options()) as http:
        hits = _hits(await http.post("/v1/search", json=settings.body(query)))
        urls: dict[tuple[str, str], str] = {}
        if settings.signed_urls:
            for key in _documents(hits):
                urls[key] = _url(await http.get(_signed_url_path(*key)))
    return [_passage(hit, urls) for hit in hits]


def _hits(response: httpx.Response) -> list[dict[str, Any]]:
    if response.is_error:
        raise SearchFailed(f"etagere search failed: HTTP {response.status_code}: {response.text}")
    return list(response.json()["hits"])


def _documents(hits: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((h["index_name"], h["chunk"]["source_id"]) for h in hits))


def _signed_url_path(library_id: str, document_id: str) -> str:
    return f"/v1/libraries/{library_id}/documents/{document_id}/signed-url"


def _url(response: httpx.Response) -> str:
    if response.is_error:
        raise SearchFailed(f"etagere signed URL failed: HTTP {response.status_code}")
    return str(response.json())


def _passage(hit: dict[str, Any], urls: dict[tuple[str, str], str]) -> CitedPassage:
    chunk = hit["chunk"]
    extra = chunk.get("metadata") or {}
    library_id, document_id = hit["index_name"], chunk["source_id"]
    metadata = {
        "document_id": document_id,
        "document_name": extra.get("document_name"),
        "library_id": library_id,
        "citation": chunk["locator"],
        "pages": extra.get("pages") or [],
        "headings": extra.get("headings") or [],
        "start_offset": chunk["start_offset"],
        "end_offset": chunk["end_offset"],
        "chunk_id": chunk["id"],
        "mime_type": extra.get("mime_type"),
        "attributes": extra.get("attributes") or {},
        "score": hit["score"],
        "signed_url": urls.get((library_id, document_id)),
    }
    return CitedPassage(text=chunk["content"], score=float(hit["score"]), metadata=metadata)
