"""A real ``etagere serve`` for the console tests, and a browser-like HTTP client for it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.people import Directory, Person, module_store
from tests.support.servers import EtagereServer

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class ConsoleEnv:
    server: EtagereServer
    people: Directory


@pytest.fixture(scope="module")
def console_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleEnv]:
    """One server (SQLite) per module; every test makes its own people and libraries."""
    with module_store("sqlite", tmp_path_factory.mktemp("console"), None) as store:
        server = EtagereServer(store=store).start()
        people = Directory(store)
        try:
            yield ConsoleEnv(server=server, people=people)
        finally:
            people.close()
            server.stop()


class Browser:
    """What a browser does with the console, over plain HTTP: cookies, forms, CSRF tokens."""

    def __init__(self, server: EtagereServer) -> None:
        # Pages are asked for as a browser asks for them (its navigations accept HTML).
        self.http = httpx.Client(
            base_url=server.url,
            follow_redirects=False,
            timeout=60,
            headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        )
        self.csrf = ""

    def sign_in(self, key: str) -> httpx.Response:
        form = self.http.get("/sign-in")
        token = csrf_of(form.text)
        response = self.http.post("/sign-in", data={"csrf": token, "api_key": key})
        if response.status_code == 303:
            self.csrf = csrf_of(self.http.get("/libraries").text)
        return response

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """A form submission carrying the session's CSRF token, as the console's forms do."""
        return self.http.post(path, data={"csrf": self.csrf, **(data or {})})

    def create_library(self, name: str, owner_type: str = "Workspace") -> str:
        response = self.post("/libraries", {"name": name, "owner_type": owner_type})
        assert response.status_code == 303, response.text
        return response.headers["location"].split("/")[2].split("?")[0]

    def upload(self, library_id: str, name: str, data: bytes) -> httpx.Response:
        return self.http.post(
            f"/libraries/{library_id}/upload",
            files={"file": (name, data)},
            headers={"X-CSRF-Token": self.csrf, "Accept": "application/json"},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def browser_for(console_env: ConsoleEnv) -> Iterator[Callable[[Person], Browser]]:
    """``browser_for(person)``: a signed-in console client for that person."""
    opened: list[Browser] = []

    def make(person: Person) -> Browser:
        browser = Browser(console_env.server)
        assert browser.sign_in(person.key).status_code == 303
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.close()
