"""The README stays true: its SDK example runs, its settings table matches the settings object."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from etagere.settings import settings_reference
from tests.support.samples.pdfs import text_pdf_bytes
from tests.support.servers import _env, free_port

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_settings_table_is_complete() -> None:
    assert settings_reference() in README


def test_readme_python_snippets_run_in_order_as_pasted(tmp_path: Path) -> None:
    """The README's shell lines and Python snippets, in order, in a directory laid out as the
    README assumes (``.venv``, ``etagere-data``, a ``report.pdf``), against a real server."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "report.pdf").write_bytes(
        text_pdf_bytes(
            [
                "The typewriter patent was granted to Sholes in 1868.",
                "The typewriter patent covered the type bars and the carriage.",
                "Remington sold the first typewriters in 1874.",
            ]
        )
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [".venv/bin/etagere", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_env(),
    )
    try:
        _wait_healthy(url, serve)
        script = "\n\n".join(python_snippets()).replace("http://127.0.0.1:8000", url)
        (tmp_path / "snippets.py").write_text(script)
        shell = sdk_shell_lines()
        assert shell[-1] == ".venv/bin/python"
        commands = "\n".join([*shell[:-1], ".venv/bin/python snippets.py"])
        result = subprocess.run(
            ["bash", "-c", commands],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            env=_env(),
        )
        assert result.returncode == 0, result.stderr[-4000:]
        assert "Papers" in result.stdout
        assert "Sholes" in result.stdout, "the text, search and MCP snippets found the report"
        key = (tmp_path / "etagere-data" / "initial-api-key").read_text().strip()
        listed = httpx.get(f"{url}/v1/libraries", headers={"Authorization": f"Bearer {key}"})
        assert listed.json()["data"] == [], "the snippets clean up after themselves"
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        log.close()


def python_snippets() -> list[str]:
    """The README's Python blocks in order, without those marked as needing a hosted service."""
    blocks = re.finditer(r"(<!-- readme-test: skip[^>]*-->\n)?```python\n(.*?)```", README, re.S)
    return [m.group(2) for m in blocks if m.group(1) is None]


def test_only_hosted_service_snippets_are_skipped() -> None:
    skipped = re.findall(r"<!-- readme-test: skip([^>]*)-->\n```python\n(.*?)```", README, re.S)
    assert skipped, "the function-calling example needs Mistral's hosted API"
    for reason, code in skipped:
        # Only what needs a hosted service (or a language model of the user's) is skipped.
        assert "hosted API" in reason
        assert "MISTRAL_API_KEY" in code
    assert len(python_snippets()) >= 6


def sdk_shell_lines() -> list[str]:
    """The shell block of 'Use it with the official SDK'."""
    section = README[README.index("## Use it with the official SDK") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1).strip().splitlines()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "etagere serve exited early"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("etagere serve did not become healthy")


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    commands = re.findall(r"```bash\n(python3 -m venv .*?)\n```", README)
    assert len(commands) == 2
    assert commands[1] in ci.splitlines()
