"""The console's security promises, against a real server: no document text ever becomes
markup, no unsafe request passes without the CSRF token, nobody sees another user's private
library, and a session dies with its key.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from mistralai.client import Mistral
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.conftest import client_for
from tests.console.conftest import Browser, ConsoleEnv
from tests.extraction.extraction_fixtures import write_text_pdf
from tests.support.documents import wait_settled
from tests.support.people import Person

EVIL_NAME = "<img src=x onerror=alert(1)>.pdf"
EVIL_LINES = [
    "Harbour report <script>alert(1)</script> tidewater",
    "[click me](javascript:alert(1)) and **bold** tidewater",
]

BrowserFor = Callable[[Person], Browser]


def assert_inert(html: str) -> HTMLParser:
    """No markup from a document: no image, no script but ours, no handler, no script URL."""
    tree = HTMLParser(html)
    assert tree.css("img") == []
    for script in tree.css("script"):
        assert (script.attributes.get("src") or "").startswith("/static/"), script.html
        assert not (script.text() or "").strip()
    for node in tree.css("*"):
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), node.html
            assert not (value or "").strip().lower().startswith("javascript:"), node.html
    return tree


def test_hostile_name_and_text_show_as_text_everywhere(
    console_env: ConsoleEnv, browser_for: BrowserFor, tmp_path: object
) -> None:
    owner = console_env.people.person()
    browser = browser_for(owner)
    library_id = browser.create_library("XSS <b>library</b>")
    pdf = write_text_pdf(console_env.server.store.data_dir / "evil.pdf", EVIL_LINES).read_bytes()
    uploaded = browser.upload(library_id, EVIL_NAME, pdf)
    assert uploaded.status_code == 201, uploaded.text
    sdk = client_for(console_env.server, owner.key)
    document_id = _only_document(sdk, library_id)
    assert wait_settled(sdk, library_id, document_id).process_status == "done"

    listing = browser.get(f"/libraries/{library_id}")
    tree = assert_inert(listing.text)
    assert EVIL_NAME in tree.body.text()  # shown, as text
    assert "XSS <b>library</b>" in tree.css_first("h1").text()

    rows = browser.get(f"/libraries/{library_id}/rows")
    assert EVIL_NAME in assert_inert(rows.text).body.text()

    page = browser.get(f"/libraries/{library_id}/documents/{document_id}")
    tree = assert_inert(page.text)
    text = tree.body.text()
    assert EVIL_NAME in text and "<script>alert(1)</script>" in text
    link_targets = [a.attributes.get("href") for a in tree.css(".markdown a")]
    assert all(not (href or "").startswith("javascript") for href in link_targets)
    assert tree.css(".markdown strong"), "ordinary Markdown still renders"

    for mode in ("keyword", "hybrid"):
        results = browser.get("/search", params={"q": "script tidewater", "mode": mode})
        tree = assert_inert(results.text)
        titles = [a.text() for a in tree.css(".hit-title")]
        assert titles and titles[0] == EVIL_NAME
        snippet = tree.css_first(".snippet")
        assert "<script>alert(1)</script>" in snippet.text()
        assert [m.text().lower() for m in snippet.css("mark")][:1] in (["script"], ["tidewater"])


def test_unsafe_requests_without_the_csrf_token_are_refused(
    console_env: ConsoleEnv, browser_for: BrowserFor
) -> None:
    person = console_env.people.person()
    browser = browser_for(person)
    library_id = browser.create_library("csrf target")
    name = "made without a token"
    attempts = {
        "/libraries": {"name": name},
        f"/libraries/{library_id}/settings": {"name": name},
        f"/libraries/{library_id}/delete": {},
        "/keys": {"name": name},
        "/sign-out": {},
    }
    for path, form in attempts.items():
        for token in (None, "forged-" + browser.csrf[:10]):
            data = form if token is None else {**form, "csrf": token}
            refused = browser.http.post(path, data=data)
            assert refused.status_code == 403, (path, token, refused.status_code)
    upload = browser.http.post(
        f"/libraries/{library_id}/upload",
        files={"file": ("a.txt", b"hello")},
        headers={"Accept": "application/json"},
    )
    assert upload.status_code == 403
    # Nothing happened: the library is intact and unrenamed, no key was made, still signed in.
    sdk = client_for(console_env.server, person.key)
    library = sdk.beta.libraries.get(library_id=library_id)
    assert library.name == "csrf target" and library.nb_documents == 0
    assert name not in browser.get("/keys").text
    assert browser.get("/libraries").status_code == 200
    # Signing in needs the token of the sign-in form too (no login CSRF).
    stranger = Browser(console_env.server)
    assert stranger.http.post("/sign-in", data={"api_key": person.key}).status_code == 403
    stranger.close()


def test_a_second_user_never_sees_the_first_users_private_library(
    console_env: ConsoleEnv, browser_for: BrowserFor
) -> None:
    workspace = console_env.people.workspace()
    first = console_env.people.person(workspace=workspace)
    second = console_env.people.person(workspace=workspace)  # same workspace, even
    first_browser = browser_for(first)
    private_name = "first-private-" + first.user_id[:8]
    library_id = first_browser.create_library(private_name, owner_type="User")
    assert private_name in first_browser.get("/libraries").text

    second_browser = browser_for(second)
    for path in ("/libraries", "/search", "/search?q=private", "/libraries?q=first-private"):
        page = second_browser.get(path)
        assert page.status_code == 200 and private_name not in page.text, path
    for path in ("", "/sharing", "/delete", "/rows"):
        page = second_browser.get(f"/libraries/{library_id}{path}")
        assert page.status_code == 404 and private_name not in page.text, path
    assert second_browser.post(f"/libraries/{library_id}/delete").status_code == 404
    assert first_browser.get(f"/libraries/{library_id}").status_code == 200


def test_a_revoked_keys_session_is_refused(
    console_env: ConsoleEnv, browser_for: BrowserFor
) -> None:
    person = console_env.people.person()
    first = browser_for(person)
    # A second key made in the console, shown once, used by another browser.
    created = first.post("/keys", {"name": "laptop"})
    assert created.status_code == 200
    secret = HTMLParser(created.text).css_first("#new-key").text()
    second = browser_for(_with_key(person, secret))
    assert second.get("/libraries").status_code == 200
    key_id = _key_id(first, "laptop")
    assert first.post(f"/keys/{key_id}/revoke").status_code == 303

    refused = second.get("/libraries")
    assert refused.status_code == 303 and refused.headers["location"] == "/sign-in"
    assert second.post("/libraries", {"name": "after revoke"}).status_code == 303  # to sign-in
    assert second.get("/libraries", headers={"Accept": "application/json"}).status_code == 401
    assert second.sign_in(secret).status_code == 401
    assert first.get("/libraries").status_code == 200  # the other key's session lives on


def test_session_cookie_flags_and_sign_out(console_env: ConsoleEnv) -> None:
    person = console_env.people.person()
    browser = Browser(console_env.server)
    signed_in = browser.sign_in(person.key)
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert person.key not in signed_in.text and person.key not in cookie
    page = browser.get("/libraries")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert browser.post("/sign-out").status_code == 303
    assert browser.get("/libraries").status_code == 303
    # The old cookie value no longer works even if a copy of it was kept.
    browser.close()


def test_api_paths_are_never_the_consoles(console_env: ConsoleEnv) -> None:
    """API paths keep the API's JSON answers and operations pages, even from a browser."""
    with Browser(console_env.server) as browser:
        unknown = browser.get("/v1/libraries/nowhere/at/all")
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
        assert "/docs" in unknown.json()["detail"]
        assert browser.get("/v1/libraries").status_code == 401
        assert browser.get("/metrics").headers["content-type"].startswith("text/plain")
        assert browser.get("/healthz").status_code == 200
        assert browser.get("/openapi.json").json()["info"]["title"] == "etagere"
        page = browser.get("/no/such/page")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def _only_document(sdk: Mistral, library_id: str) -> str:
    documents = sdk.beta.libraries.documents.list(library_id=library_id).data
    assert len(documents) == 1
    return str(documents[0].id)


def _with_key(person: Person, key: str) -> Person:
    return Person(
        user_id=person.user_id,
        org_id=person.org_id,
        workspace_id=person.workspace_id,
        email=person.email,
        key=key,
        key_id="",
    )


def _key_id(browser: Browser, name: str) -> str:
    tree = HTMLParser(browser.get("/keys").text)
    for row in tree.css("tbody tr"):
        if row.css_first("td").text().startswith(name):
            action = row.css_first("form").attributes["action"] or ""
            return str(UUID(action.split("/")[2]))
    raise AssertionError(f"no key named {name!r}")
