"""E-mail messages (RFC 822 / .eml) with the standard library's ``email`` package.

The output is the main headers, then the body (the plain-text part when there is one, else
the HTML part converted to Markdown), then the attachments by name. Attachments are listed,
not extracted: each would need its own type detection and limits, and users who want one
searchable can upload it as its own document.
"""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from . import mime
from .errors import CorruptDocument
from .html import html_to_markdown
from .limits import ExtractionLimits
from .markdown import blocks, heading, inline, normalize
from .result import Extraction, assemble
from .text import read_text

_HEADERS = ("From", "To", "Cc", "Date")


def extract_eml(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract an e-mail message (one page)."""
    read_text(path, limits)  # enforces the size cap before parsing
    try:
        with path.open("rb") as stream:
            message = BytesParser(policy=policy.default).parse(stream)
        if not isinstance(message, EmailMessage):
            raise CorruptDocument("The e-mail message could not be parsed")
        parts = [_header_block(message), _body(message), _attachments(message)]
    except (ValueError, LookupError, UnicodeError) as exc:
        raise CorruptDocument(f"The e-mail message could not be read ({exc})") from exc
    return assemble([blocks(parts)], mime.EML)


def _header_block(message: EmailMessage) -> str:
    subject = inline(str(message.get("Subject", "")))
    lines = [f"{name}: {inline(str(message[name]))}" for name in _HEADERS if message[name]]
    return blocks([heading(1, subject), "\n".join(lines)])


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_markdown(content)
    return normalize(content)


def _attachments(message: EmailMessage) -> str:
    names = [
        inline(part.get_filename() or part.get_content_type())
        for part in message.iter_attachments()
    ]
    if not names:
        return ""
    return blocks([heading(2, "Attachments"), "\n".join(f"- {name}" for name in names)])
