"""The LangChain and LlamaIndex retrievers against a real server, with the real frameworks:
the uploaded passage comes back with its page citation, ids and a working signed URL."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import RunnableLambda
from llama_index.core.schema import NodeWithScore

from etagere.integrations.langchain import EtagereRetriever
from etagere.integrations.llamaindex import EtagereLlamaRetriever
from tests.conftest import client_for
from tests.documents.conftest import wait_all_settled
from tests.extraction.extraction_fixtures import write_text_pdf
from tests.support.documents import upload
from tests.support.servers import EtagereServer, StoreLocation

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
QUESTION = "When was the bicycle lighthouse lamp patented?"
ANSWER_LINE = "The bicycle lighthouse lamp was patented in 1887 by Ada Quimby."


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """One server for the module: a library with a two-page PDF (the answer on page 2)."""
    base = tmp_path_factory.mktemp("retrievers")
    server = EtagereServer(store=StoreLocation(data_dir=base / "data")).start()
    try:
        client = client_for(server, server.api_key)
        library_id = client.beta.libraries.create(name="Inventions").id
        other_id = client.beta.libraries.create(name="Elsewhere").id
        filler = [f"Line {n} of the catalogue lists oil, gas and candle lamps." for n in range(30)]
        second = [*filler[:15], ANSWER_LINE, *filler[15:]]
        pdf = write_text_pdf(base / "lamps.pdf", ["\n".join(filler), "\n".join(second)])
        doc = upload(client, library_id, pdf)
        client.beta.libraries.documents.update(
            library_id=library_id, document_id=doc.id, attributes={"topic": "lamps"}
        )
        wait_all_settled(client, library_id, [doc.id])
        yield SimpleNamespace(
            server=server, id=library_id, other=other_id, doc=doc, pdf=pdf.read_bytes()
        )
    finally:
        server.stop()


def check_cited(metadata: dict[str, object], text: str, library: SimpleNamespace) -> None:
    assert "1887" in text
    assert metadata["citation"] == "p. 2"
    assert metadata["pages"] == [2]
    assert metadata["document_id"] == library.doc.id
    assert metadata["document_name"] == "lamps.pdf"
    assert metadata["library_id"] == library.id
    assert metadata["attributes"] == {"topic": "lamps"}
    url = metadata["signed_url"]
    assert isinstance(url, str)
    assert httpx.get(url).content == library.pdf, "the signed URL serves the original, keyless"


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_langchain_retriever_sync_and_async(library: SimpleNamespace, mode: str) -> None:
    retriever = EtagereRetriever(
        server_url=library.server.url,
        api_key=library.server.api_key,
        library_ids=[library.id],
        mode=mode,
        top_k=3,
    )
    found = retriever.invoke(QUESTION)
    assert all(isinstance(d, Document) for d in found)
    check_cited(found[0].metadata, found[0].page_content, library)
    again = asyncio.run(retriever.ainvoke(QUESTION))
    assert [d.id for d in again] == [d.id for d in found]


def test_langchain_filter_and_libraries_narrow_the_search(library: SimpleNamespace) -> None:
    key = library.server.api_key
    url = library.server.url
    other_topic = {"type": "equal", "field": "topic", "value": "boats"}
    assert EtagereRetriever(server_url=url, api_key=key, filter=other_topic).invoke(QUESTION) == []
    lamps = {"type": "equal", "field": "topic", "value": "lamps"}
    assert EtagereRetriever(server_url=url, api_key=key, filter=lamps).invoke(QUESTION)
    elsewhere = EtagereRetriever(server_url=url, api_key=key, library_ids=[library.other])
    assert elsewhere.invoke(QUESTION) == []


def test_llamaindex_retriever_sync_and_async(library: SimpleNamespace) -> None:
    retriever = EtagereLlamaRetriever(
        server_url=library.server.url,
        api_key=library.server.api_key,
        library_ids=[library.id],
        top_k=3,
    )
    found = retriever.retrieve(QUESTION)
    assert all(isinstance(n, NodeWithScore) for n in found)
    check_cited(found[0].node.metadata, found[0].node.get_content(), library)
    assert found[0].score is not None and found[0].score > 0
    again = asyncio.run(retriever.aretrieve(QUESTION))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in found]


def test_readme_rag_chain_runs(
    library: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's chain, with the chat model swapped for one that repeats its prompt."""
    block = re.search(r"```python\n([^`]*EtagereRetriever\(.*?)```", README, re.S)
    assert block is not None
    code = block.group(1).replace("http://127.0.0.1:8000", library.server.url)

    def echo_model(model: str, **_settings: object) -> RunnableLambda[PromptValue, AIMessage]:
        return RunnableLambda(lambda prompt: AIMessage(prompt.to_string()))

    code = code.replace("from langchain_mistralai import ChatMistralAI\n", "")
    env = {"library": SimpleNamespace(id=library.id), "ChatMistralAI": echo_model}
    os.environ["ETAGERE_KEY"] = library.server.api_key
    os.environ["MISTRAL_API_KEY"] = "unused: the echo model replaces Mistral's"
    try:
        exec(compile(code, "README.md", "exec"), env)
    finally:
        del os.environ["ETAGERE_KEY"], os.environ["MISTRAL_API_KEY"]
    printed = capsys.readouterr().out
    assert "[lamps.pdf, p. 2]" in printed and "1887" in printed and QUESTION in printed
