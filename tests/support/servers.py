"""Real etagere server processes for tests, started exactly as a user would start them."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StoreLocation:
    """Where a test's etagere keeps its state: a data directory and maybe a PostgreSQL URL."""

    data_dir: Path
    database_url: str | None = None

    def flags(self) -> list[str]:
        flags = ["--data-dir", str(self.data_dir)]
        if self.database_url:
            flags += ["--database-url", self.database_url]
        return flags


def run_cli(
    store: StoreLocation | None, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``etagere ARGS`` against ``store`` (the CLI contract is part of what is tested)."""
    cmd = [sys.executable, "-m", "etagere", *args, *(store.flags() if store else [])]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_env())
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def admin(store: StoreLocation, *args: str) -> dict[str, Any]:
    """``etagere admin ARGS --json``, parsed."""
    out = run_cli(store, "admin", *args, "--json").stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


@dataclass
class Identity:
    """A user with an API key, created through the admin CLI."""

    org: str
    workspace: str
    user_id: str
    email: str
    key: str


@dataclass
class EtagereServer:
    """A running ``etagere serve`` subprocess on a loopback port."""

    store: StoreLocation
    api_key: str = field(default_factory=lambda: "etg_test_" + secrets.token_urlsafe(16))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.store.data_dir / "server.log"

    def start(self, extra_env: dict[str, str] | None = None) -> EtagereServer:
        self.store.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "etagere",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.store.flags(),
        ]
        env = _env({"ETAGERE_API_KEY": self.api_key, **(extra_env or {})})
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        self._wait_healthy()
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def http(self, key: str | None = None) -> httpx.Client:
        """A raw HTTP client, authenticated with ``key`` (the bootstrap key by default)."""
        headers = {"Authorization": f"Bearer {key or self.api_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def new_identity(self, org: str | None = None, workspace: str | None = None) -> Identity:
        """A fresh user (and, unless given, a fresh org and workspace) with its own key."""
        if org is None:
            org = admin(self.store, "create-org", "org-" + secrets.token_hex(4))["name"]
        if workspace is None:
            workspace = admin(
                self.store, "create-workspace", "--org", org, "ws-" + secrets.token_hex(4)
            )["name"]
        email = f"user-{secrets.token_hex(4)}@example.com"
        user = admin(self.store, "create-user", "--org", org, "--workspace", workspace, email)
        key = admin(self.store, "create-key", "--user", user["id"], "--workspace", workspace)
        return Identity(
            org=org, workspace=workspace, user_id=user["id"], email=email, key=key["key"]
        )

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"etagere serve exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"etagere serve did not become healthy:\n{self.log_tail()}")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETAGERE_")}
    env.update(extra or {})
    return env
