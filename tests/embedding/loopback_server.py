"""A real HTTP server on 127.0.0.1 that serves ``/v1/embeddings`` with the local model.

It speaks the wire format shared by OpenAI-compatible servers and the Mistral API
(the Mistral response additionally needs ``id``, ``object``, ``model`` and ``usage``,
which OpenAI clients ignore), so the remote embedders are tested over a socket
against real vectors rather than against a mock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from etagere.search.embedding import Embedder

API_KEY = "test-key"


@dataclass
class ServerState:
    """What the test can inspect and steer: requests seen and a forced failure."""

    embedder: Embedder
    batch_sizes: list[int] = field(default_factory=list)
    fail_with: int | None = None
    reverse_order: bool = False


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output clean."""

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != "/v1/embeddings":
                self._reply(404, {"detail": "not found"})
                return
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                self._reply(401, {"detail": "bad key"})
                return
            if state.fail_with is not None:
                self._reply(state.fail_with, {"detail": "forced failure"})
                return
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            inputs = request["input"]
            inputs = [inputs] if isinstance(inputs, str) else inputs
            state.batch_sizes.append(len(inputs))
            vectors = state.embedder.embed_documents(inputs)
            data = [
                {"object": "embedding", "embedding": vector.tolist(), "index": i}
                for i, vector in enumerate(vectors)
            ]
            if state.reverse_order:
                data.reverse()
            self._reply(
                200,
                {
                    "id": "emb-1",
                    "object": "list",
                    "model": request["model"],
                    "data": data,
                    "usage": {"prompt_tokens": 1, "total_tokens": 1, "completion_tokens": 0},
                },
            )

    return Handler


@contextmanager
def serve_embeddings(state: ServerState) -> Iterator[str]:
    """Run the server on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
