"""Any OpenAI-compatible ``/v1/chat/completions`` server with tool calling (Ollama, vLLM...)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from etagere.conversations.errors import UpstreamFailed, UpstreamTimeout
from etagere.conversations.upstream import ChatRequest, Reply, ToolCall, Usage

MAX_REASON = 500


class OpenAICompatibleChat:
    """Chat completions over plain HTTP; the API key only ever goes into the request header."""

    def __init__(self, base_url: str, api_key: str | None = None) -> None:
        root = base_url.rstrip("/")
        self.url = root + ("/chat/completions" if root.endswith("/v1") else "/v1/chat/completions")
        self.host = urlsplit(root).netloc or root
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers)

    def complete(self, request: ChatRequest) -> Reply:
        body: dict[str, Any] = {"model": request.model, "messages": request.messages}
        options = dict(request.options)
        if "random_seed" in options:
            options["seed"] = options.pop("random_seed")
        body.update(options)
        if request.tools:
            body["tools"] = request.tools
        try:
            response = self.client.post(self.url, json=body, timeout=request.timeout_seconds)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"The language model at {self.host} did not answer within "
                f"{request.timeout_seconds:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamFailed(
                f"The language model at {self.host} cannot be reached: {exc}"
            ) from exc
        if response.status_code >= 400:
            raise UpstreamFailed(
                f"The language model at {self.host} answered {response.status_code}: "
                f"{_reason(response)}"
            )
        return _reply(response, self.host)


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:MAX_REASON] or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:MAX_REASON]
    if isinstance(error, str):
        return error[:MAX_REASON]
    return json.dumps(data)[:MAX_REASON]


def _reply(response: httpx.Response, host: str) -> Reply:
    try:
        data = response.json()
        message = data["choices"][0]["message"]
        calls = [
            ToolCall(
                id=str(call.get("id") or f"call_{index}"),
                name=str(call["function"]["name"]),
                arguments=_arguments(call["function"].get("arguments")),
            )
            for index, call in enumerate(message.get("tool_calls") or [])
        ]
        usage = data.get("usage") or {}
        return Reply(
            content=str(message.get("content") or ""),
            tool_calls=calls,
            usage=Usage(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            ),
        )
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise UpstreamFailed(
            f"The language model at {host} sent an answer that is not a chat completion: "
            f"{response.text[:MAX_REASON]}"
        ) from exc


def _arguments(value: Any) -> str:
    if value is None:
        return "{}"
    return value if isinstance(value, str) else json.dumps(value)
