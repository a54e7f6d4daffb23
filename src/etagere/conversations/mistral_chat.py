"""Mistral's chat API through the official SDK, for ``ETAGERE_LLM_PROVIDER=mistral``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from mistralai.client import Mistral, errors

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


class MistralChat:
    """The SDK's chat client; its errors are translated here, once, into ours."""

    def __init__(self, api_key: str, server_url: str | None = None) -> None:
        root = server_url.rstrip("/") if server_url else None
        if root and root.endswith("/v1"):
            root = root[: -len("/v1")]  # the SDK's paths start with /v1
        self.host = root or "api.mistral.ai"
        self.client = Mistral(api_key=api_key, server_url=root)

    def complete(self, request: ChatRequest) -> Reply:
        with self._translated(request):
            response = self.client.chat.complete(
                model=request.model,
                messages=request.messages,  # type: ignore[arg-type]
                tools=request.tools or None,  # type: ignore[arg-type]
                timeout_ms=int(request.timeout_seconds * 1000),
                **request.options,
            )
        message = response.choices[0].message if response.choices else None
        if message is None:
            raise UpstreamFailed(
                f"Mistral's API at {self.host} sent a completion without a message"
            )
        calls = [
            ToolCall(id=call.id or f"call_{index}", name=call.function.name, arguments=_json(call))
            for index, call in enumerate(message.tool_calls or [])
        ]
        usage = response.usage
        return Reply(
            content=_text(message.content),
            tool_calls=calls,
            usage=Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0),
        )

    def stream(self, request: ChatRequest) -> Iterator[TextDelta | Reply]:
        """``chat.stream``: text pieces as they come, then the whole reply."""
        built = ReplyBuilder()
        with self._translated(request):
            events = self.client.chat.stream(
                model=request.model,
                messages=request.messages,  # type: ignore[arg-type]
                tools=request.tools or None,  # type: ignore[arg-type]
                timeout_ms=int(request.timeout_seconds * 1000),
                **request.options,
            )
            with events:
                for event in events:
                    chunk = event.data
                    if chunk.usage is not None:
                        built.usage = Usage(
                            chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0
                        )
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta
                    for call in delta.tool_calls or []:
                        built.add_call(call.index or 0, call.id, call.function.name, _json(call))
                    text = _text(delta.content)
                    built.text.append(text)
                    if text:
                        yield TextDelta(text)
        yield built.reply()

    @contextmanager
    def _translated(self, request: ChatRequest) -> Iterator[None]:
        """The SDK's errors (and its HTTP client's) as ours, worded for the operator."""
        try:
            yield
        except httpx2.TimeoutException as exc:
            raise UpstreamTimeout(
                f"Mistral's API at {self.host} did not answer within {request.timeout_seconds:g} s"
            ) from exc
        except httpx2.TransportError as exc:
            raise UpstreamFailed(f"Mistral's API at {self.host} cannot be reached: {exc}") from exc
        except errors.MistralError as exc:
            raise UpstreamFailed(
                f"Mistral's API at {self.host} answered {exc.status_code}: {exc.body[:MAX_REASON]}"
            ) from exc


def _json(call: Any) -> str:
    arguments = call.function.arguments
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "".join(getattr(chunk, "text", "") or "" for chunk in content)
