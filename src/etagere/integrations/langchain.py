"""A LangChain retriever over etagere's search (``pip install 'etagere[langchain]'``).

``EtagereRetriever(server_url=..., api_key=..., library_ids=[...])`` returns ``Document``s whose
``metadata`` carries the citation (``"p. 4"``), document id and name, library id and a signed
URL of the original file; it works in any chain, sync (``invoke``) or async (``ainvoke``).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field, SecretStr

from etagere.integrations.search_client import (
    CitedPassage,
    SearchMode,
    SearchSettings,
    asearch,
    search,
)


class EtagereRetriever(BaseRetriever):
    """Passages from etagere libraries, cited to the page."""

    server_url: str = "http://127.0.0.1:8000"
    api_key: SecretStr
    library_ids: list[str] | None = None
    mode: SearchMode = "hybrid"
    top_k: int = Field(default=8, ge=1, le=100)
    filter: dict[str, Any] | None = None
    signed_urls: bool = True

    def _settings(self) -> SearchSettings:
        return SearchSettings(
            server_url=self.server_url,
            api_key=self.api_key.get_secret_value(),
            library_ids=self.library_ids,
            mode=self.mode,
            top_k=self.top_k,
            filter=self.filter,
            signed_urls=self.signed_urls,
        )

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [_document(p) for p in search(self._settings(), query)]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [_document(p) for p in await asearch(self._settings(), query)]


def _document(passage: CitedPassage) -> Document:
    return Document(
        page_content=passage.text, metadata=passage.metadata, id=passage.metadata["chunk_id"]
    )
