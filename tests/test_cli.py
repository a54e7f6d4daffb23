"""The CLI contract of DESIGN §2: admin commands, --json output, first-start bootstrap."""

from __future__ import annotations

import json
import stat

from mistralai.client import Mistral

from tests.support.servers import EtagereServer, StoreLocation, admin, run_cli


def test_admin_creates_identities_whose_key_works(store: StoreLocation) -> None:
    org = admin(store, "create-org", "acme")
    assert org["name"] == "acme"
    ws = admin(store, "create-workspace", "--org", "acme", "research")
    assert ws["org_id"] == org["id"]
    user = admin(
        store, "create-user", "--org", org["id"], "--workspace", "research", "Ada@Example.com"
    )
    assert user["email"] == "ada@example.com"
    key = admin(store, "create-key", "--user", "ada@example.com", "--name", "laptop")
    assert key["key"].startswith("etg_") and key["workspace_id"] == ws["id"]

    server = EtagereServer(store=store).start()
    try:
        client = Mistral(api_key=key["key"], server_url=server.url)
        lib = client.beta.libraries.create(name="from the CLI key")
        assert lib.owner_id == ws["id"]
        with server.http() as http:
            assert http.get("/v1/libraries").status_code == 401, (
                "no bootstrap key when identities already exist"
            )
    finally:
        server.stop()


def test_admin_errors_are_clear_and_exit_non_zero(store: StoreLocation) -> None:
    admin(store, "create-org", "acme")
    duplicate = run_cli(store, "admin", "create-org", "acme", "--json", check=False)
    assert duplicate.returncode == 1
    assert json.loads(duplicate.stdout)["error"] == "conflict"
    missing = run_cli(store, "admin", "create-workspace", "--org", "nope", "x", check=False)
    assert missing.returncode == 1 and "not found" in missing.stdout.lower()
    admin(store, "create-user", "--org", "acme", "lonely@example.com")
    no_ws = run_cli(store, "admin", "create-key", "--user", "lonely@example.com", check=False)
    assert no_ws.returncode == 1 and "--workspace" in no_ws.stdout


def test_bootstrap_prints_key_once_and_saves_it_privately(store: StoreLocation) -> None:
    server = EtagereServer(store=store)
    server.api_key = ""  # no ETAGERE_API_KEY: the server must invent one
    server.start(extra_env={"ETAGERE_API_KEY": ""})
    try:
        key_file = store.data_dir / "initial-api-key"
        key = key_file.read_text().strip()
        assert key.startswith("etg_") and len(key) > 40
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key in server.log_path.read_text()
        client = Mistral(api_key=key, server_url=server.url)
        assert client.beta.libraries.list().data == []
    finally:
        server.stop()
    server.start(extra_env={"ETAGERE_API_KEY": ""})
    try:
        assert server.log_path.read_text().count(key) == 1, "second start creates nothing"
    finally:
        server.stop()


def test_seeded_key_is_used_and_not_written_to_disk(server: EtagereServer) -> None:
    assert not (server.store.data_dir / "initial-api-key").exists()
    assert server.api_key not in server.log_path.read_text()
    client = Mistral(api_key=server.api_key, server_url=server.url)
    assert client.beta.libraries.create(name="seeded").name == "seeded"


def test_help_lists_the_contract() -> None:
    top = run_cli(None, "--help").stdout
    assert "serve" in top and "admin" in top
    commands = run_cli(None, "admin", "--help").stdout
    for name in ("create-org", "create-workspace", "create-user", "create-key"):
        assert name in commands
