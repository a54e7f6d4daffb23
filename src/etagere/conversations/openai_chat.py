"""Any OpenAI-compatible ``/v1/chat/completions`` server with tool calling (Ollama, vLLM...)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from etagere.conversations.errors import UpstreamFailed, UpstreamTimeout
from etagere.conversations.upstream import (
    ChatRequest,
    Reply,
    ReplyBuilder,
    TextDelta,
    ToolCall,
    Usage,
)

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
        with self._translated(request):
            response = self.client.post(
                self.url, json=_body(request), timeout=request.timeout_seconds
            )
            self._check(response)
        return _reply(response, self.host)

    def stream(self, request: ChatRequest) -> Iterator[TextDelta | Reply]:
        """The answer as server-sent chunks (``stream: true``), usage asked for at the end."""
        body = {**_body(request), "stream": True, "stream_options": {"include_usage": True}}
        built = ReplyBuilder()
        with (
            self._translated(request),
            self.client.stream(
                "POST", self.url, json=body, timeout=request.timeout_seconds
            ) as response,
        ):
            if response.status_code >= 400:
                response.read()
                self._check(response)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    break
                text = _absorb(built, data, self.host)
                if text:
                    yield TextDelta(text)
        yield built.reply()

    @contextmanager
    def _translated(self, request: ChatRequest) -> Iterator[None]:
        """httpx's transport errors as ours, worded for the operator."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"The language model at {self.host} did not answer within "
                f"{request.timeout_seconds:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamFailed(
                f"The language model at {self.host} cannot be reached: {exc}"
            ) from exc

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise UpstreamFailed(
                f"The language model at {self.host} answered {response.status_code}: "
                f"{_reason(response)}"
            )


def _body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model, "messages": request.messages}
    options = dict(request.options)
    if "random_seed" in options:
        options["seed"] = options.pop("random_seed")
    body.update(options)
    if request.tools:
        body["tools"] = request.tools
    return body


def _absorb(built: ReplyBuilder, data: str, host: str) -> str:
    """Fold one streamed chunk into ``built``; the text it adds."""
    try:
        chunk = json.loads(data)
        if chunk.get("usage"):
            usage = chunk["usage"]
            built.usage = Usage(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            )
        if not chunk.get("choices"):
            return ""
        delta = chunk["choices"][0].get("delta") or {}
        for call in delta.get("tool_calls") or []:
            function = call.get("function") or {}
            built.add_call(
                int(call.get("index") or 0),
                call.get("id"),
                function.get("name"),
                _arguments(function.get("arguments")) if function.get("arguments") else "",
            )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UpstreamFailed(
            f"The language model at {host} streamed a chunk that is not a chat completion "
            f"chunk: {data[:MAX_REASON]}"
        ) from exc
    text = str(delta.get("content") or "")
    built.text.append(text)
    return text


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
