"""Raw wire checks: field sets, types, content types and error bodies, against the SDK's models."""

from __future__ import annotations

from typing import Any

import pytest
from mistralai.client import errors, models
from pydantic import BaseModel

from tests.support.servers import EtagereServer


def required_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, f in model.model_fields.items() if f.is_required()}


def all_fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def assert_matches(model: type[BaseModel], body: dict[str, Any]) -> None:
    """Every required field present, nothing the SDK does not know, and the model validates."""
    assert required_fields(model) <= set(body), required_fields(model) - set(body)
    assert set(body) <= all_fields(model), set(body) - all_fields(model)
    model.model_validate(body)


def test_library_json_matches_sdk_model(server: EtagereServer) -> None:
    with server.http() as http:
        response = http.post("/v1/libraries", json={"name": "wire"})
        assert response.status_code == 201
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert_matches(models.Library, body)
        # Deprecated but required fields are sent, as null where allowed.
        assert body["chunk_size"] is None and "owner_id" in body
        assert body["created_at"].endswith("Z"), "timestamps are UTC"
        for path in (f"/v1/libraries/{body['id']}",):
            assert_matches(models.Library, http.get(path).json())
        listing = http.get("/v1/libraries", params={"page": 0, "page_size": 1}).json()
        assert_matches(models.ListLibrariesResponse, listing)
        assert_matches(models.PaginationInfo, listing["pagination"])
        deleted = http.delete(f"/v1/libraries/{body['id']}")
        assert deleted.status_code == 200
        assert_matches(models.Library, deleted.json())


def test_validation_error_body_is_fastapi_shape(server: EtagereServer) -> None:
    with server.http() as http:
        response = http.post("/v1/libraries", json={"chunk_size": 10})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    data = errors.HTTPValidationErrorData.model_validate(response.json())
    locations = {tuple(item.loc) for item in data.detail or []}
    assert ("body", "name") in locations and ("body", "chunk_size") in locations


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "code"),
    [
        ("GET", "/v1/libraries", {}, 401, "unauthenticated"),
        ("GET", "/v1/libraries", {"Authorization": "Bearer nope"}, 401, "unauthenticated"),
        ("GET", "/v1/libraries", {"Authorization": "Basic Zm9vOmJhcg=="}, 401, "unauthenticated"),
        ("GET", "/v1/libraries/3f1c2b4e-0000-4000-8000-000000000001", None, 404, "not_found"),
    ],
)
def test_error_bodies(
    server: EtagereServer,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    with server.http() as http:
        if headers is not None:
            http.headers.pop("Authorization")
            http.headers.update(headers)
        response = http.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_malformed_json_and_bad_uuid_are_422(server: EtagereServer) -> None:
    with server.http() as http:
        bad_json = http.post(
            "/v1/libraries", content=b"{not json", headers={"content-type": "application/json"}
        )
        bad_id = http.get("/v1/libraries/not-a-uuid")
        unknown_field = http.post("/v1/libraries", json={"name": "x", "colour": "red"})
    assert bad_json.status_code == 422
    assert bad_id.status_code == 422
    assert unknown_field.status_code == 422


def test_operations_endpoints(server: EtagereServer) -> None:
    with server.http() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "database": "ok",
            "blob_store": "ok",
            "search": "ok",
        }
        spec = http.get("/openapi.json").json()
        assert "/v1/libraries" in spec["paths"]
        assert set(spec["paths"]["/v1/libraries/{library_id}"]) == {"get", "patch", "put", "delete"}
        docs = http.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert "x-request-id" in http.get("/healthz").headers
