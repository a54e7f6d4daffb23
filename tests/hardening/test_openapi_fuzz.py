"""``/openapi.json`` tells the truth: schemathesis drives every operation of a real server.

Authenticated, with real ids (a library with a processed document and one of its chunks) in
the path, it must find no 5xx and no status that the schema does not list for the operation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from tests.support.scripted_model import ScriptedModel
from tests.support.servers import EtagereServer, StoreLocation

EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtagereServer]:
    # A language model upstream, so that agents and conversations answer as configured (with
    # none they answer 503 by design, which the fuzzer would rightly count as a 5xx).
    model = ScriptedModel(passage="typewriter").start()
    upstream = {"ETAGERE_LLM_PROVIDER": "openai-compatible", "ETAGERE_LLM_URL": model.url}
    server = EtagereServer(store=StoreLocation(tmp_path_factory.mktemp("fuzz") / "data"))
    server.start(extra_env=upstream)
    yield server
    server.stop()
    model.stop()


@pytest.fixture(scope="module")
def real_ids(fuzzed_server: EtagereServer) -> dict[str, str]:
    """Ids of things that exist, to put in the paths the fuzzer generates."""
    with fuzzed_server.http() as http:
        library = http.post("/v1/libraries", json={"name": "fuzzed"}).json()["id"]
        files = {"file": ("typewriters.txt", b"The typewriter was patented in 1868.", "text/plain")}
        document = http.post(f"/v1/libraries/{library}/documents", files=files).json()["id"]
        for _ in range(600):
            status = http.get(f"/v1/libraries/{library}/documents/{document}/status").json()
            if status["processing_status"] == "done":
                break
            time.sleep(0.1)
        retriever = {"retriever": {"type": "keyword", "query": "typewriter"}}
        hits = http.post(f"/v1/context/search_indexes/{library}/search", json=retriever)
        chunk = hits.json()["hits"][0]["chunk"]["id"] if hits.status_code == 200 else "x"
    return {
        "library_id": library,
        "index_name": library,
        "document_id": document,
        "source_id": document,
        "chunk_id": chunk,
    }


def test_every_operation_answers_a_documented_status(
    fuzzed_server: EtagereServer, real_ids: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed_server.api_key}"}
    failures: dict[str, str] = {}
    statuses: dict[int, int] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = [p.name for p in operation.iter_parameters() if p.location == "path"]
        # Deletions keep generated ids, so that the real library lives through the run.
        ids = {} if operation.method.upper() == "DELETE" else real_ids
        path_parameters = {name: ids[name] for name in names if name in ids}

        @given(case=operation.as_strategy(path_parameters=path_parameters or None))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case: Any) -> None:
            response = case.call_and_validate(
                headers=headers, checks=[not_a_server_error, status_code_conformance], timeout=60
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, not only the first
            failures[operation.label] = str(exc)[:2000]
    assert operations >= 30
    print(f"{operations} operations, statuses answered: {dict(sorted(statuses.items()))}")
    # The real ids reached the routes: successes, not only 404s and 422s.
    assert statuses.get(200, 0) > 0 and sum(statuses.values()) >= operations * 5
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_the_schema_lists_error_statuses(fuzzed_server: EtagereServer) -> None:
    schema = httpx.get(f"{fuzzed_server.url}/openapi.json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    search = schema["paths"]["/v1/search"]["post"]["responses"]
    assert {"401", "413", "422", "429", "503"} <= set(search)
    assert search["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "Retry-After" in search["503"]["headers"]
    upload = schema["paths"]["/v1/libraries/{library_id}/documents"]["post"]["responses"]
    assert {"401", "403", "404", "413", "415", "422"} <= set(upload)
    signed = schema["paths"]["/v1/signed/documents/{document_id}/{served}"]["get"]["responses"]
    assert {"403", "404", "422"} <= set(signed)
    assert "401" not in signed, "signed URLs need no key"
