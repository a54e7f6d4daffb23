"""A real HTTP proxy in front of a test server that slows uploads and answers 429/503 on cue.

It stands for what a client meets in production (a rate-limiting gateway, a restarting
backend) and counts what actually reached the server, so tests can check that every file was
sent exactly once whatever the client retried or resumed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import free_port


@dataclass
class Faults:
    """Upload number (1-based, counting every upload request) -> status answered instead."""

    answers: dict[int, int] = field(default_factory=dict)
    retry_after: str = "1"
    upload_delay_s: float = 0.0
    # Once this many uploads were created, later ones wait until ``resume`` is set: a test
    # can act on a client that is certainly mid-import, however loaded the machine.
    hold_after_created: int | None = None
    resume: threading.Event = field(default_factory=threading.Event)


@dataclass
class ProxyLog:
    uploads_seen: int = 0
    upload_answers: Counter[int] = field(default_factory=Counter)  # from the real server
    injected: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def created(self) -> int:
        with self.lock:
            return self.upload_answers[201]


def _app(target: str, faults: Faults, log: ProxyLog) -> Starlette:
    client = httpx.AsyncClient(base_url=target, timeout=120)

    async def forward(request: Request) -> Response:
        upload = request.method == "POST" and request.url.path.endswith("/documents")
        if upload:
            with log.lock:
                log.uploads_seen += 1
                number = log.uploads_seen
            injected = faults.answers.get(number)
            if injected is not None:
                with log.lock:
                    log.injected[injected] += 1
                await request.body()
                headers = {"Retry-After": faults.retry_after} if injected == 429 else {}
                return Response(b'{"detail": "injected"}', injected, headers=headers)
            await asyncio.sleep(faults.upload_delay_s)
            held = faults.hold_after_created
            while held is not None and log.created >= held and not faults.resume.is_set():
                await asyncio.sleep(0.01)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        answer = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        if upload:
            with log.lock:
                log.upload_answers[answer.status_code] += 1
        drop = ("content-length", "content-encoding", "transfer-encoding", "connection")
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in drop}
        return Response(answer.content, answer.status_code, headers=kept)

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


@contextmanager
def fault_proxy(target: str, faults: Faults) -> Iterator[tuple[str, ProxyLog]]:
    """``(url, log)`` of a proxy to ``target`` running in a thread of the test process."""
    log = ProxyLog()
    port = free_port()
    config = uvicorn.Config(
        _app(target, faults, log), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.should_exit = True
        thread.join(timeout=10)
