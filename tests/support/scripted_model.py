"""A real chat-completions HTTP server on 127.0.0.1 that plays the language model from a script.

It asks for ``document_library`` with the user's question, then answers from the tool message
it receives, recording whether that message held the expected passage; with a caller's
function tool it calls the function and answers from its result. ``dialect="mistral"`` checks
each request against the official SDK's ``ChatCompletionRequest`` and its API key, as
Mistral's API would. ``delay`` makes it slow; ``fail_status`` makes it fail.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from mistralai.client import models

ANSWER = "The answer, from the library, is in this passage"


@dataclass
class ScriptedModel:
    passage: str
    dialect: Literal["openai", "mistral"] = "openai"
    api_key: str | None = None
    delay: float = 0.0
    fail_status: int | None = None
    never_answers: bool = False  # keeps asking for the tool, to hit the step limit
    requests: list[dict[str, Any]] = field(default_factory=list)
    tool_messages: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def saw_passage(self) -> bool:
        return any(self.passage in message for message in self.tool_messages)

    def start(self) -> ScriptedModel:
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = script.answer(self.path, dict(self.headers), body)
                if status == 200 and body.get("stream"):
                    self.send_events(answer)
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def send_events(self, completion: dict[str, Any]) -> None:
                """The completion as chat-completion chunks: text in small pieces."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in streamed(completion):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append(body)
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}
        if self.dialect == "mistral":
            models.ChatCompletionRequest.model_validate(body)  # a malformed call fails the test
            if headers.get("Authorization") != f"Bearer {self.api_key}":
                return 401, {"message": "Unauthorized"}
        if self.delay:
            time.sleep(self.delay)
        if self.fail_status is not None:
            return self.fail_status, {"error": {"message": "the scripted model is overloaded"}}
        last = body["messages"][-1]
        names = [tool["function"]["name"] for tool in body.get("tools") or []]
        if last["role"] == "tool" and self.never_answers:
            return 200, self.completion(body, None, ("document_library", {"query": "again"}))
        if last["role"] == "tool":
            self.tool_messages.append(str(last["content"]))
            return 200, self.completion(body, self.reply_to_tool(str(last["content"])))
        question = str(last["content"])
        if "get_weather" in names:
            return 200, self.completion(body, None, ("get_weather", {"city": "Paris"}))
        if "document_library" in names:
            return 200, self.completion(body, None, ("document_library", {"query": question}))
        return 200, self.completion(body, f"No tools; you said: {question}")

    def reply_to_tool(self, content: str) -> str:
        if self.passage in content:
            return f"{ANSWER} [1]."
        if content.startswith("Error:"):
            return f"I could not search the library. {content}"
        return f"The function said: {content}"

    def completion(
        self, body: dict[str, Any], text: str | None, call: tuple[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text or ""}
        if call is not None:
            message["tool_calls"] = [
                {
                    "id": uuid.uuid4().hex[:9],
                    "type": "function",
                    "function": {"name": call[0], "arguments": json.dumps(call[1])},
                }
            ]
        return {
            "id": "cmpl-" + uuid.uuid4().hex,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if call else "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }


def streamed(completion: dict[str, Any], piece: int = 4) -> list[dict[str, Any]]:
    """A completion cut into the chunks a streaming server sends (markers split on purpose)."""
    message = completion["choices"][0]["message"]
    base = {k: completion[k] for k in ("id", "created", "model")}
    base["object"] = "chat.completion.chunk"
    text = message.get("content") or ""
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": text[i : i + piece]} for i in range(0, len(text), piece)]
    if message.get("tool_calls"):
        deltas.append(
            {"tool_calls": [{**call, "index": i} for i, call in enumerate(message["tool_calls"])]}
        )
    chunks = [
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        for delta in deltas
    ]
    finish = completion["choices"][0]["finish_reason"]
    chunks.append(
        {
            **base,
            "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": finish}],
            "usage": completion["usage"],
        }
    )
    return chunks
