"""Errors of the language model upstream, mapped to 503/502/504 by the HTTP error table."""

from __future__ import annotations

from etagere.core.errors import DomainError

LLM_SETTINGS = "ETAGERE_LLM_PROVIDER, ETAGERE_LLM_URL, ETAGERE_LLM_MODEL, ETAGERE_LLM_API_KEY"


class UpstreamNotConfigured(DomainError):
    """No language model is configured: agents and conversations cannot run."""

    code = "llm_not_configured"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Agents and conversations need a language model: set "
            f"{LLM_SETTINGS} (see the README){': ' + detail if detail else ''}"
        )


class UpstreamFailed(DomainError):
    """The language model server refused, failed or could not be reached."""

    code = "llm_upstream_error"


class UpstreamTimeout(DomainError):
    """The language model (or the whole turn) took longer than allowed."""

    code = "llm_upstream_timeout"
