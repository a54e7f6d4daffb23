"""``/v1/tools/document_library``: the tool-execution half of the README's agent loop.

The model half (a chat completion on the hosted API) cannot run here, so the test plays the
model: it takes the definition, makes the call a model would make, posts its arguments as the
README does, and checks the numbered, cited passages and their links.
"""

from __future__ import annotations

import json

import httpx

from tests.agents.conftest import AgentWorld

PDF = "word_processors.pdf"


def test_definition_is_a_function_schema_naming_the_libraries(agents: AgentWorld) -> None:
    with agents.server.http() as http:
        tool = http.get(
            "/v1/tools/document_library", params={"library_ids": [agents.library_id]}
        ).json()
        everything = http.get("/v1/tools/document_library")
    assert tool["type"] == "function"
    function = tool["function"]
    assert function["name"] == "document_library"
    assert '"Agent shelf"' in function["description"]
    parameters = function["parameters"]
    assert parameters["type"] == "object" and parameters["required"] == ["query"]
    assert set(parameters["properties"]) == {"query", "top_k"}
    assert everything.status_code == 200
    assert "Agent shelf" in everything.json()["function"]["description"]
    with agents.server.http(agents.stranger.key) as http:
        hidden = http.get("/v1/tools/document_library", params={"library_ids": [agents.library_id]})
    assert hidden.status_code == 404


def test_a_model_tool_call_gets_numbered_cited_passages(agents: AgentWorld) -> None:
    # What the model would answer to "When was the typewriter patented?" with the tool above.
    arguments = json.dumps({"query": "typewriter patent year", "top_k": 3})
    with agents.server.http(agents.viewer.key) as http:
        answer = http.post(
            "/v1/tools/document_library",
            params={"library_ids": [agents.library_id]},
            content=arguments,
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    content, citations = result["content"], result["citations"]
    assert [c["rank"] for c in citations] == list(range(1, len(citations) + 1))
    first = citations[0]
    assert first["document_name"] == PDF and first["citation"].startswith("p")
    assert f"[1] {PDF}, {first['citation']}" in content
    assert first["url"] in content and "[2]" in content

    served = httpx.get(first["url"], timeout=30)  # no API key: the URL is signed
    assert served.status_code == 200
    passage = served.text[first["start_offset"] : first["end_offset"]]
    assert passage and passage.strip() in content


def test_tool_calls_are_validated_and_checked(agents: AgentWorld) -> None:
    with agents.server.http(agents.viewer.key) as http:
        assert http.post("/v1/tools/document_library", json={"top_k": 3}).status_code == 422
        assert (
            http.post("/v1/tools/document_library", json={"query": "x", "top_k": 99}).status_code
            == 422
        )
        nothing = http.post("/v1/tools/document_library", json={"query": "zzzqqq xylophone"})
    assert nothing.status_code == 200
    with agents.server.http(agents.outsider.key) as http:
        hidden = http.post(
            "/v1/tools/document_library",
            params={"library_ids": [agents.library_id]},
            json={"query": "typewriter"},
        )
    assert hidden.status_code == 404
    with agents.server.http("etg_bad") as http:
        assert http.get("/v1/tools/document_library").status_code == 401
