"""The console in a real browser (Debian's chromium driven by Playwright) against a real server.

One journey, as a new user would take it: sign in with the printed key, create a library, drop
four files at once, watch them process (three done, one error with its reason), search, open
the cited page, share with a colleague who then sees the library, revoke, make a key, sign out.
Screenshots of every page are saved under ``artifacts/console`` (``ETAGERE_ARTIFACTS_DIR``).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.console.conftest import ConsoleEnv
from tests.console.files import four_files, text_pdf

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROCESSING_TIMEOUT_MS = 240_000  # OCR of the scan on a loaded 2-core machine


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("ETAGERE_ARTIFACTS_DIR", "artifacts")) / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page whose alerts and console errors (CSP violations among them) are recorded."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.page = context.new_page()
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _on_dialog(self, dialog: object) -> None:
        self.dialogs.append(getattr(dialog, "message", "?"))
        dialog.dismiss()  # type: ignore[attr-defined]

    def go(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def assert_clean(self, *expected: str) -> None:
        """No alert ever ran; no console error but the refusals the test provoked."""
        assert self.dialogs == [], self.dialogs
        unexpected = [e for e in self.errors if not any(x in e for x in expected)]
        assert unexpected == [], unexpected


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(watched: Watched, key: str) -> Page:
    page = watched.go("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Libraries", exact=True)).to_be_visible()
    return page


def drop_files(page: Page, paths: list[Path]) -> None:
    """A real drop event carrying the files, as when they are dragged from a file manager."""
    payload = [{"name": p.name, "b64": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name));
            }
            return transfer;
        }""",
        payload,
    )
    page.dispatch_event("#drop", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


@pytest.mark.timeout(900)  # the whole journey, OCR included, on a slow machine
def test_new_user_journey(
    console_env: ConsoleEnv, chromium: Browser, shots: Path, tmp_path: Path
) -> None:
    server = console_env.server
    colleague = console_env.people.person(org="default")
    owner_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    owner = Watched(owner_context, server.url)

    # Sign in with the key the server printed on first start.
    owner.go("/")
    shoot(owner.page, shots, "01-sign-in")
    page = sign_in(owner, server.api_key)

    # Create a library.
    page.get_by_text("New library").click()
    page.get_by_label("Name", exact=True).fill("Harbour archive")
    page.get_by_label("Description").fill("Reports, minutes and scans of the harbour office")
    page.get_by_role("button", name="Create library").click()
    expect(page.get_by_role("heading", name="Harbour archive")).to_be_visible()
    library_url = page.url.split("?")[0]

    # Drop four files at once; each gets its own progress bar and outcome.
    files = four_files(tmp_path / "drop")
    drop_files(page, files)
    uploads = page.locator("#uploads li")
    expect(uploads).to_have_count(4)
    expect(page.locator("#uploads li[data-outcome='created']")).to_have_count(4)
    # The same bytes again: "already in this library"; bytes of no known type: refused (415).
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(os.urandom(4096))
    drop_files(page, [text_pdf(tmp_path / "again.pdf"), junk])
    expect(page.locator("#uploads li[data-outcome='existing']")).to_contain_text(
        "already in this library"
    )
    expect(page.locator("#uploads li[data-outcome='refused']")).to_contain_text(
        "unsupported type (415)"
    )
    shoot(page, shots, "02-upload")

    # Live status: three reach done and one error with its reason, without reloading.
    rows = page.locator("#rows tr")
    expect(page.locator("#rows tr[data-status='done']")).to_have_count(
        3, timeout=PROCESSING_TIMEOUT_MS
    )
    expect(page.locator("#rows tr[data-status='error']")).to_have_count(1)
    expect(page.locator("#rows tr[data-status='error']")).to_contain_text("locked.pdf")
    expect(page.locator("#rows tr[data-status='error'] .reason")).to_contain_text("password")
    expect(rows).to_have_count(4)
    shoot(page, shots, "03-library")

    # Search, then open the cited page.
    page = owner.go("/search")
    page.get_by_label("Question or keywords").fill("lighthouse keeper storm")
    page.get_by_role("button", name="Search", exact=True).click()
    first = page.locator(".hit").first
    expect(first.locator(".hit-title")).to_have_text("shelving-report.pdf")
    expect(first.locator(".cite")).to_have_text("p. 2")
    expect(first.locator("mark").first).to_be_visible()
    shoot(page, shots, "04-search")
    first.locator(".hit-title").click()
    expect(page).to_have_url(re.compile(r"\?page=2#page-2$"))
    cited = page.locator("#page-2")
    expect(cited).to_have_class(re.compile(r"\btarget\b"))
    expect(cited).to_contain_text("lighthouse keeper")
    shoot(page, shots, "05-document-cited-page")

    # The failed document shows its reason on its own page.
    page.goto(library_url)
    page.locator("#rows a", has_text="locked.pdf").click()
    expect(page.get_by_role("alert")).to_contain_text("encrypted with a password")
    shoot(page, shots, "05-document-error")

    # Share with a colleague as Viewer; the colleague then sees the library.
    page.goto(library_url)
    page.get_by_role("link", name="Sharing").click()
    page.get_by_label("Share with").select_option(label=colleague.email)
    page.get_by_label("as").select_option("Viewer")
    page.get_by_role("button", name="Grant").click()
    expect(page.locator("tbody")).to_contain_text(colleague.email)
    shoot(page, shots, "06-sharing")

    colleague_context = chromium.new_context(
        viewport={"width": 360, "height": 800}, color_scheme="dark"
    )
    other = Watched(colleague_context, server.url)
    other_page = sign_in(other, colleague.key)
    expect(other_page.get_by_role("link", name="Harbour archive")).to_be_visible()
    other_page.get_by_role("link", name="Harbour archive").click()
    expect(other_page.locator("#rows tr")).to_have_count(4)
    expect(other_page.locator("#drop")).to_have_count(0)  # a Viewer gets no upload zone
    shoot(other_page, shots, "06-colleague-360px-dark")

    # Revoke: the colleague loses it at once.
    page.get_by_role("button", name=f"Revoke access of {colleague.email}").click()
    expect(page.locator("tbody")).not_to_contain_text(colleague.email)
    other_page.goto(server.url + "/libraries")
    expect(other_page.get_by_role("link", name="Harbour archive")).to_have_count(0)

    page = owner.go("/libraries")
    expect(page.get_by_role("row", name=re.compile("Harbour archive"))).to_contain_text("Owner")
    shoot(page, shots, "07-libraries")

    # Keys and connections: a new key is shown once, configurations name this server.
    page = owner.go("/keys")
    page.get_by_label("New key named").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_have_text(re.compile(r"^etg_"))
    expect(page.locator("#cfg-vscode")).to_contain_text(server.url + "/mcp")
    shoot(page, shots, "08-keys")
    page = owner.go("/keys")  # shown once: not on the next visit
    expect(page.locator("#new-key")).to_have_count(0)
    expect(page.locator("tbody")).to_contain_text("laptop")

    # Sign out: back to the sign-in page, and the console is closed to this browser.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    owner.go("/libraries")
    expect(page).to_have_url(re.compile(r"/sign-in$"))

    owner.assert_clean("status of 415")
    other.assert_clean()
    owner_context.close()
    colleague_context.close()
