"""A LlamaIndex retriever over etagere's search (``pip install 'etagere[llamaindex]'``).

``EtagereLlamaRetriever(server_url=..., api_key=..., library_ids=[...])`` returns
``NodeWithScore``s whose node ``metadata`` carries the citation (``"p. 4"``), document id and
name, library id and a signed URL of the original file; usable with ``RetrieverQueryEngine``.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from etagere.integrations.search_client import (
    CitedPassage,
    SearchMode,
    SearchSettings,
    asearch,
    search,
)


class EtagereLlamaRetriever(BaseRetriever):
    """Passages from etagere libraries, cited to the page."""

    def __init__(
        self,
        *,
        api_key: str,
        server_url: str = "http://127.0.0.1:8000",
        library_ids: list[str] | None = None,
        mode: SearchMode = "hybrid",
        top_k: int = 8,
        filter: dict[str, Any] | None = None,
        signed_urls: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = SearchSettings(
            server_url=server_url,
            api_key=api_key,
            library_ids=library_ids,
            mode=mode,
            top_k=top_k,
            filter=filter,
            signed_urls=signed_urls,
        )

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [_node(p) for p in search(self.settings, query_bundle.query_str)]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [_node(p) for p in await asearch(self.settings, query_bundle.query_str)]


def _node(passage: CitedPassage) -> NodeWithScore:
    node = TextNode(
        id_=passage.metadata["chunk_id"],
        text=passage.text,
        metadata=passage.metadata,
        # The LLM sees the text and where it comes from, not URLs and offsets.
        excluded_llm_metadata_keys=[
            k for k in passage.metadata if k not in ("document_name", "citation")
        ],
        excluded_embed_metadata_keys=list(passage.metadata),
    )
    return NodeWithScore(node=node, score=passage.score)
