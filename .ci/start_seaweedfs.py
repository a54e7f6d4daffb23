"""Start a real SeaweedFS S3 server for the whole CI run; print its settings as shell exports.

``start DIR`` leaves the server running in its own session (so that it outlives this script)
and prints ``export ETAGERE_TEST_S3_...=...`` lines for ``eval``; the tests then reuse it
instead of starting one per pytest session. ``stop DIR`` ends it (``.ci/run``'s EXIT trap).
The server's log is ``DIR/weed.log``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

# The helpers live with the tests; the repository root makes them importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import seaweedfs

STATE_FILE = "server.json"


def start(workdir: Path) -> None:
    server = seaweedfs.start_seaweedfs(workdir, detached=True)
    state = {"pid": server.process.pid, "http": server.ports.http, "grpc": server.ports.grpc}
    (workdir / STATE_FILE).write_text(json.dumps(state))
    print(f"SeaweedFS S3 at {server.endpoint.url} (pid {server.process.pid})", file=sys.stderr)
    settings = {
        seaweedfs.ENDPOINT_VARIABLE: server.endpoint.url,
        seaweedfs.ACCESS_KEY_VARIABLE: server.endpoint.access_key,
        seaweedfs.SECRET_KEY_VARIABLE: server.endpoint.secret_key,
    }
    for name, value in settings.items():
        print(f"export {name}={shlex.quote(value)}")


def stop(workdir: Path) -> None:
    state_path = workdir / STATE_FILE
    if not state_path.exists():
        return
    state = json.loads(state_path.read_text())
    pid = int(state["pid"])
    ports = seaweedfs.Ports(http=state["http"], grpc=state["grpc"])

    def wait(timeout: float) -> None:
        # Not our child (its parent exited), so poll instead of waitpid.
        deadline = time.monotonic() + timeout
        while _running(pid):
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"weed (pid {pid})", timeout)
            time.sleep(0.1)

    seaweedfs.stop_process(pid, ports, wait=wait)
    state_path.unlink()


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait a moment for init to reap it)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[-1].split()[0] != "Z"


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(f"usage: {sys.argv[0]} start|stop DIR")
    directory = Path(sys.argv[2]).resolve()
    if sys.argv[1] == "start":
        start(directory)
    else:
        stop(directory)
