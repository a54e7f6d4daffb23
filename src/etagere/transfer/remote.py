"""The few Libraries API calls that import and export make, over one ``httpx.Client``.

Every call goes through ``send_with_retries``; an answer that is still an error becomes
``ApiError`` with the status and the server's readable detail, so callers can tell a refused
file (413, 415, 422) from a server that is down.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any

import httpx

from etagere.transfer.retry import error_detail, send_with_retries

PAGE_SIZE = 100


class ApiError(Exception):
    """The server answered an error that retrying does not fix."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class RemoteLibrary:
    id: str
    name: str


@dataclass(frozen=True)
class Uploaded:
    document: dict[str, Any]
    created: bool


class LibraryApi:
    """Libraries and documents of one server, as plain dicts (the SDK's wire format)."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = send_with_retries(lambda: self.http.request(method, path, **kwargs))
        if response.is_error:
            raise ApiError(response.status_code, error_detail(response))
        return response

    def find_library(self, name_or_id: str) -> RemoteLibrary | None:
        """The library with this id, or else the one with exactly this name (ambiguity fails)."""
        if _is_uuid(name_or_id):
            try:
                body = self.call("GET", f"/v1/libraries/{name_or_id}").json()
            except ApiError as exc:
                if exc.status != 404:
                    raise
            else:
                return RemoteLibrary(id=body["id"], name=body["name"])
        matches = [lib for lib in self._libraries(search=name_or_id) if lib.name == name_or_id]
        if len(matches) > 1:
            ids = ", ".join(lib.id for lib in matches)
            raise ApiError(409, f"several libraries are named {name_or_id!r} ({ids}): use an id")
        return matches[0] if matches else None

    def create_library(self, name: str) -> RemoteLibrary:
        body = self.call("POST", "/v1/libraries", json={"name": name}).json()
        return RemoteLibrary(id=body["id"], name=body["name"])

    def documents(self, library_id: str) -> Iterator[dict[str, Any]]:
        """Every document of the library, oldest first (stable under concurrent uploads)."""
        page = 0
        while True:
            body = self.call(
                "GET",
                f"/v1/libraries/{library_id}/documents",
                params={
                    "page": page,
                    "page_size": PAGE_SIZE,
                    "sort_by": "created_at",
                    "sort_order": "asc",
                },
            ).json()
            yield from body["data"]
            if not body["pagination"]["has_more"]:
                return
            page += 1

    def upload(
        self,
        library_id: str,
        name: str,
        open_content: Callable[[], AbstractContextManager[IO[bytes]]],
    ) -> Uploaded:
        """Upload one file; ``open_content`` is called again for each retry (a fresh stream)."""

        def send() -> httpx.Response:
            with open_content() as content:
                return self.http.post(
                    f"/v1/libraries/{library_id}/documents", files={"file": (name, content)}
                )

        response = send_with_retries(send)
        if response.is_error:
            raise ApiError(response.status_code, error_detail(response))
        return Uploaded(document=response.json(), created=response.status_code == 201)

    def set_attributes(self, library_id: str, document_id: str, attributes: dict[str, Any]) -> None:
        self.call(
            "PATCH",
            f"/v1/libraries/{library_id}/documents/{document_id}",
            json={"attributes": attributes},
        )

    def text(self, library_id: str, document_id: str) -> str:
        path = f"/v1/libraries/{library_id}/documents/{document_id}/text_content"
        return str(self.call("GET", path).json()["text"])

    def download(self, library_id: str, document_id: str, sink: IO[bytes]) -> None:
        """Stream the original file through its signed URL (no key sent to that URL)."""
        path = f"/v1/libraries/{library_id}/documents/{document_id}/signed-url"
        url = json.loads(self.call("GET", path).text)
        with httpx.stream("GET", url, timeout=self.http.timeout) as response:
            if response.is_error:
                response.read()
                raise ApiError(response.status_code, error_detail(response))
            for chunk in response.iter_bytes():
                sink.write(chunk)

    def _libraries(self, search: str) -> Iterator[RemoteLibrary]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"page_size": 100, "search": search}
            if token:
                params["page_token"] = token
            body = self.call("GET", "/v1/libraries", params=params).json()
            for lib in body["data"]:
                yield RemoteLibrary(id=lib["id"], name=lib["name"])
            token = body.get("next_page_token")
            if not token:
                return


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
