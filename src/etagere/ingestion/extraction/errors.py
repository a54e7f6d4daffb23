"""Extraction errors: a stable ``code`` and a message fit to show a user.

The message becomes a document's ``processing_status`` when extraction fails, so it says what
is wrong with the file and, where possible, what the user can do about it. Each format module
translates its library's exceptions into these classes once, at its boundary.
"""

from __future__ import annotations


class ExtractionError(Exception):
    """Base of every error the extraction engine raises on purpose."""

    code: str = "extraction_failed"
    default_message: str = "The document could not be read"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def __reduce__(self) -> tuple[type[ExtractionError], tuple[str]]:
        """Keep the message when the error is pickled across a process boundary."""
        return (type(self), (self.message,))


class UnsupportedType(ExtractionError):
    """The content is of a type the engine cannot read (unknown binary, legacy format...)."""

    code = "unsupported_type"
    default_message = "Unsupported file type"


class EmptyDocument(ExtractionError):
    """The file has zero bytes."""

    code = "empty_document"
    default_message = "The file is empty (0 bytes)"


class EncryptedDocument(ExtractionError):
    """The document needs a password to open."""

    code = "encrypted_document"
    default_message = "The document is encrypted with a password; upload an unencrypted copy"


class CorruptDocument(ExtractionError):
    """The content claims a known type but is damaged beyond what lenient parsing recovers."""

    code = "corrupt_document"
    default_message = "The document is damaged and could not be read"


class ExtractionTooLarge(ExtractionError):
    """The document exceeds a limit: decompressed size, page count or memory."""

    code = "too_large"
    default_message = "The document is too large to process"


class ExtractionTimeout(ExtractionError):
    """Extraction took longer than the configured wall-clock limit."""

    code = "timeout"
    default_message = "Extraction took too long and was stopped"


ERROR_CLASSES: dict[str, type[ExtractionError]] = {
    cls.code: cls
    for cls in (
        ExtractionError,
        UnsupportedType,
        EmptyDocument,
        EncryptedDocument,
        CorruptDocument,
        ExtractionTooLarge,
        ExtractionTimeout,
    )
}
