"""Domain errors: a stable code and a message, never an HTTP status.

The HTTP layer owns the mapping from these classes to status codes (``etagere.http.errors``).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(DomainError):
    """No credentials, or credentials that match no active API key."""

    code = "unauthenticated"


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller can see the thing but its role is too low for the action."""

    code = "forbidden"


class Conflict(DomainError):
    """The action clashes with the current state (duplicate name, last owner...)."""

    code = "conflict"


class PayloadTooLarge(DomainError):
    """An upload larger than the configured limit."""

    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """An upload whose content is of a type etagere cannot extract text from."""

    code = "unsupported_media_type"


class InvalidInput(DomainError):
    """Input that passed wire validation but breaks a domain rule.

    ``location`` names the offending field the way FastAPI does (``("query", "page_token")``),
    so that the HTTP layer can answer with the same 422 body as schema validation.
    """

    code = "invalid_input"

    def __init__(self, message: str, location: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.location = location


class Duplicate(Conflict):
    """A write lost a race on a unique key: another transaction stored the same thing first."""

    code = "duplicate"


class Unavailable(DomainError):
    """A dependency (database, blob store, embedder, indexes) cannot answer now; retry later."""

    code = "unavailable"

    def __init__(self, message: str, retry_after_seconds: int = 5) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class StoreUnavailable(Unavailable):
    """The metadata store cannot answer now (down, locked, connection lost).

    Same code as any unavailable dependency for clients; a class of its own for the loops
    (workers, sweepers, metrics) that wait for the store and carry on.
    """
