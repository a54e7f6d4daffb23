"""The language model upstream: one narrow interface (``ChatModel.complete``), two providers.

Messages and tools travel in the chat-completions vocabulary shared by Mistral and OpenAI-
compatible servers (``role``/``content``/``tool_calls``), so the tool loop is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from etagere.core.extras import require_extra
from etagere.settings import Settings

Message = dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """The model asking for a tool: its call id, the tool's name, JSON-encoded arguments."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[Message]
    tools: list[dict[str, Any]]
    options: dict[str, Any]
    timeout_seconds: float


@dataclass(frozen=True)
class Reply:
    """One answer of the model: text, or tool calls (or both), and what it cost."""

    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text, as the model streams it."""

    text: str


class ChatModel(Protocol):
    """A chat-completions server with tool calling."""

    def complete(self, request: ChatRequest) -> Reply: ...

    def stream(self, request: ChatRequest) -> Iterator[TextDelta | Reply]:
        """Text pieces as they come, then the whole ``Reply`` last."""
        ...


class ReplyBuilder:
    """Assembles a streamed answer: text pieces, tool calls in fragments, usage at the end."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.usage = Usage()

    def add_call(self, index: int, id_: str | None, name: str | None, arguments: str) -> None:
        call = self.calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
        call["id"] = id_ or call["id"] or f"call_{index}"
        call["name"] = name or call["name"]
        call["arguments"] += arguments

    def reply(self) -> Reply:
        calls = [
            ToolCall(id=c["id"], name=c["name"], arguments=c["arguments"] or "{}")
            for _, c in sorted(self.calls.items())
        ]
        return Reply(content="".join(self.text), tool_calls=calls, usage=self.usage)


@dataclass(frozen=True)
class Upstream:
    """The configured model server and how agent model names map onto its models."""

    chat: ChatModel
    default_model: str | None
    model_map: dict[str, str]

    def model_for(self, agent_model: str) -> str:
        """The mapping wins, then ``ETAGERE_LLM_MODEL``, else the agent's model as is."""
        return self.model_map.get(agent_model) or self.default_model or agent_model


def build_upstream(settings: Settings) -> Upstream | None:
    """The configured upstream, ``None`` when none is (agents routes then answer 503)."""
    provider = settings.llm_provider
    if provider is None:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    chat: ChatModel
    if provider == "mistral":
        require_extra("mistralai", "mistral", "ETAGERE_LLM_PROVIDER=mistral")
        from etagere.conversations.mistral_chat import MistralChat

        if key is None:
            raise ValueError("ETAGERE_LLM_API_KEY is required with ETAGERE_LLM_PROVIDER=mistral")
        chat = MistralChat(api_key=key, server_url=settings.llm_url)
    else:
        from etagere.conversations.openai_chat import OpenAICompatibleChat

        if not settings.llm_url:
            raise ValueError(
                "ETAGERE_LLM_URL is required with ETAGERE_LLM_PROVIDER=openai-compatible"
            )
        chat = OpenAICompatibleChat(base_url=settings.llm_url, api_key=key)
    return Upstream(chat=chat, default_model=settings.llm_model, model_map=settings.llm_model_map)


def options_from(completion_args: dict[str, Any]) -> dict[str, Any]:
    """The SDK's ``completion_args`` as chat-completions options (unset ones left out)."""
    allowed = (
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "temperature",
        "top_p",
        "max_tokens",
        "random_seed",
        "response_format",
        "tool_choice",
    )
    return {k: v for k, v in completion_args.items() if k in allowed and v is not None}
