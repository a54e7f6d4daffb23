"""The first minutes of a new user: what the commands print, refuse and log."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import click
import httpx

from etagere.cli.main import COMMANDS, cli
from tests.support.servers import EtagereServer, StoreLocation, _env, free_port, run_cli

HEAVY_MODULES = ("fastapi", "uvicorn", "mcp", "sqlalchemy", "numpy", "onnxruntime", "pydantic")


def _wait_for(path: Path, text: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_serve_says_where_it_listens_after_the_bind(tmp_path: Path) -> None:
    server = EtagereServer(store=StoreLocation(tmp_path / "data")).start()
    try:
        log = server.log_path.read_text()
        line = f"etagere is listening on {server.url} "
        assert line in log
        assert "API docs at " + server.url + "/docs" in log
        assert "API key is the one in ETAGERE_API_KEY" in log
        # After the socket is bound (uvicorn reports the bind first), never before.
        assert log.index("Uvicorn running on") < log.index(line)
        assert log.index("Uvicorn running on") < log.index('"msg": "listening"')
    finally:
        server.stop()


def test_console_log_format_at_a_terminal(tmp_path: Path) -> None:
    """stderr is a terminal: readable lines by default; JSON when asked for."""
    port = free_port()
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "etagere", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*cmd, "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=_env({"ETAGERE_WORKERS": "0"}),
    )
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 120
        while b"listening" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 1)[0]:
                seen += os.read(master, 65536)
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.close(master)
    text = seen.decode(errors="replace")
    listening = next(line for line in text.splitlines() if "listening" in line)
    assert not listening.lstrip().startswith("{"), listening
    assert "INFO" in listening and "etagere.serve" in listening and f"port={port}" in listening


def test_bad_settings_end_in_one_line_and_exit_code_2(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cases = [
        ({"ETAGERE_WORKERS": "abc"}, "ETAGERE_WORKERS='abc'"),
        ({"ETAGERE_EMBEDDER": "openai-compatible"}, "needs ETAGERE_EMBEDDING_URL"),
        ({"ETAGERE_BLOB_STORE": "s3"}, "needs ETAGERE_S3_BUCKET"),
        ({"ETAGERE_PORT": "70000"}, "ETAGERE_PORT"),
    ]
    for env, expected in cases:
        result = subprocess.run(
            [sys.executable, "-m", "etagere", "serve", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            env=_env(env),
        )
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert not data_dir.exists(), "nothing may be created or migrated before the check"


def test_help_and_version_import_nothing_heavy() -> None:
    probe = (
        "import sys\n"
        "from etagere.cli.main import cli\n"
        "for args in (['--help'], ['--version']):\n"
        "    try:\n"
        "        cli.main(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_lazy_command_table_matches_the_commands() -> None:
    for name, (_module, _attribute, short_help) in COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        assert command.get_short_help_str(limit=200) == short_help, name


def test_docs_are_served_from_the_package(edge_server: EtagereServer) -> None:
    page = httpx.get(f"{edge_server.url}/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.replace("https://fastapi", "")
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        response = httpx.get(f"{edge_server.url}/docs/assets/{asset}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert len(response.content) > 10_000


def test_missing_tesseract_is_said_at_start(tmp_path: Path) -> None:
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    server = EtagereServer(store=StoreLocation(tmp_path / "data"))
    server.start({"PATH": str(empty_path)})
    try:
        log = server.log_path.read_text()
        warning = next(line for line in log.splitlines() if "tesseract is not installed" in line)
        assert json.loads(warning)["level"] == "warning"
    finally:
        server.stop()


def test_a_failed_document_is_a_warning_with_its_name_library_and_reason(
    edge_server: EtagereServer,
) -> None:
    with edge_server.http() as http:
        library = http.post("/v1/libraries", json={"name": "broken files"}).json()["id"]
        files = {"file": ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 500, "application/pdf")}
        document = http.post(f"/v1/libraries/{library}/documents", files=files).json()
    log = _wait_for(edge_server.log_path, '"msg": "document failed"')
    line = json.loads(next(x for x in log.splitlines() if '"document failed"' in x))
    assert line["level"] == "warning"
    assert line["document_name"] == "broken.pdf"
    assert line["library_id"] == library
    assert line["document_id"] == document["id"]
    assert line["reason"]


def test_config_file_and_effective_settings(tmp_path: Path) -> None:
    config = tmp_path / "etagere.toml"
    config.write_text(
        'port = 9123\nworkers = 3\nsecret_key = "s3cret-value"\nlog_level = "warning"\n'
    )
    store = StoreLocation(tmp_path / "data")
    shown = run_cli(store, "config", "--config", str(config))
    assert "port = 9123" in shown.stdout
    assert "s3cret-value" not in shown.stdout
    assert 'secret_key = "********"' in shown.stdout
    assert "# api_key = (unset)" in shown.stdout
    as_json = json.loads(run_cli(store, "config", "--config", str(config), "--json").stdout)
    assert as_json["workers"] == 3 and as_json["secret_key"] == "********"
    # The environment wins over the file, a flag over both.
    env = _env({"ETAGERE_WORKERS": "2", "ETAGERE_PORT": "9000"})
    cmd = [sys.executable, "-m", "etagere", "config", "--config", str(config), "--json"]
    merged = json.loads(
        subprocess.run(
            [*cmd, *store.flags()], capture_output=True, text=True, env=env, check=True
        ).stdout
    )
    assert (merged["workers"], merged["port"], merged["log_level"]) == (2, 9000, "warning")
    # The printed settings are themselves a valid config file.
    (tmp_path / "again.toml").write_text(shown.stdout.replace('"********"', '"other"'))
    again = run_cli(store, "config", "--config", str(tmp_path / "again.toml"), "--json")
    assert json.loads(again.stdout)["port"] == 9123


def test_a_config_file_with_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "etagere.toml"
    config.write_text("prot = 8000\n")
    result = run_cli(
        StoreLocation(tmp_path / "data"), "config", "--config", str(config), check=False
    )
    assert result.returncode == 2
    assert "unknown setting 'prot'" in result.stderr


def test_serve_reads_its_config_file(tmp_path: Path) -> None:
    config = tmp_path / "etagere.toml"
    config.write_text("max_body_kb = 4\nworkers = 0\n")
    server = EtagereServer(store=StoreLocation(tmp_path / "data"))
    server.start({"ETAGERE_CONFIG": str(config)})
    try:
        with server.http() as http:
            small = http.post("/v1/search", json={"query": "x" * 1000})
            assert small.status_code == 200
            big = http.post("/v1/search", json={"query": "x" * 5000})
            assert big.status_code == 413
            assert "4 KiB" in big.json()["detail"]
    finally:
        server.stop()
