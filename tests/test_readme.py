"""The README stays true: its SDK example runs, its settings table matches the settings object."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from etagere.settings import settings_reference
from tests.support.servers import EtagereServer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_settings_table_is_complete() -> None:
    assert settings_reference() in README


def test_sdk_example_runs_against_a_real_server(server: EtagereServer) -> None:
    example = re.search(r"```python\n(.*?)```", README, re.S)
    assert example is not None
    code = example.group(1).replace("http://127.0.0.1:8000", server.url)
    env = {**os.environ, "MISTRAL_API_KEY": server.api_key}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "Papers" in result.stdout
    with server.http() as http:
        assert http.get("/v1/libraries").json()["data"] == [], "the example cleans up after itself"


def test_readme_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    commands = re.findall(r"```bash\n(python3 -m venv .*?)\n```", README)
    assert len(commands) == 2
    assert commands[1] in ci.splitlines()
