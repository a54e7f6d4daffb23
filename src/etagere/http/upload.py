"""Streaming multipart upload: the ``file`` part goes straight from the socket to a blob writer.

Starlette's ``request.form()`` spools the whole body before the handler runs; here the body is
fed chunk by chunk to python-multipart's low-level parser, so a file is hashed and written as
it arrives, never held in memory, and an oversized upload is refused as soon as it crosses the
limit. Parsing and disk writes run in a worker thread so the event loop never waits on the disk.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.to_thread
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from etagere.core.errors import InvalidInput
from etagere.storage.blobs import BlobStore, BlobWriter, StoredBlob
from etagere.storage.blobs.store import too_large

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

# Room for boundaries and part headers on top of the file itself when judging Content-Length.
MULTIPART_OVERHEAD = 64 * 1024
# Parts other than the file, and every part's headers, are read and dropped, up to this total.
OTHER_PARTS_LIMIT = 1024 * 1024
FALLBACK_FILENAME = "upload"
MAX_FILENAME_BYTES = 255
# A longer "extension" is just a dot in a long name, not worth keeping whole when truncating.
MAX_EXTENSION_BYTES = 32
# RFC 5987 only requires these two; anything else is ignored in favour of plain ``filename``.
EXT_VALUE_CHARSETS = {"utf-8", "iso-8859-1"}

_DISPOSITION_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', re.DOTALL)
_QUOTED_ESCAPE = re.compile(r'\\([\\"])')
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class ReceivedFile:
    """An uploaded file, committed to the blob store."""

    blob: StoredBlob
    filename: str
    # The part's Content-Type as the client declared it; informational, never trusted.
    declared_type: str | None
    head: bytes


async def receive_upload(
    request: Request, blobs: BlobStore, *, max_bytes: int, field: str = "file"
) -> ReceivedFile:
    """Stream the multipart body's ``field`` part into a new blob and commit it.

    Raises ``PayloadTooLarge`` past ``max_bytes`` and ``InvalidInput`` for a body that is not a
    well-formed multipart form holding exactly one ``field`` part. On any error, including a
    client disconnect, no blob is left behind.
    """
    location = ("body", field)
    boundary = _boundary(request.headers.get("content-type"), location)
    _check_content_length(request.headers.get("content-length"), max_bytes)
    with blobs.writer(max_bytes) as writer:
        parts = _PartReader(writer, field)
        parser = _parser(boundary, parts, location)
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(_feed, parser, chunk, location)
            if parts.ended:
                # Whatever follows the closing boundary is an epilogue: not worth reading.
                break
        if not parts.ended:
            raise InvalidInput("Malformed multipart body: no closing boundary.", location)
        if not parts.found:
            raise InvalidInput("Field required", location)
        blob = await anyio.to_thread.run_sync(writer.commit)
        return ReceivedFile(
            blob=blob,
            filename=sanitize_filename(parts.filename),
            declared_type=parts.declared_type,
            head=writer.head(),
        )


def sanitize_filename(raw: str | None) -> str:
    """A filename safe to store and show: base name only, printable, at most 255 UTF-8 bytes."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_printable(ch) for ch in name)
    name = _WHITESPACE_RUN.sub(" ", name).strip()
    name = unicodedata.normalize("NFC", name).lstrip(". ")
    name = _truncate_keeping_extension(name, MAX_FILENAME_BYTES)
    return name or FALLBACK_FILENAME


def _printable(ch: str) -> str:
    # Tab and line breaks become spaces so that "a\tb" keeps its word break; the other controls
    # go, including U+001C..U+001F, which str.isspace() counts as whitespace.
    category = unicodedata.category(ch)
    if ch in "\t\n\v\f\r" or category.startswith("Z"):
        return " "
    return "" if category.startswith("C") else ch


def _truncate_keeping_extension(name: str, limit: int) -> str:
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = dot + extension
    if not stem or len(suffix.encode()) > MAX_EXTENSION_BYTES:
        stem, suffix = name, ""
    room = limit - len(suffix.encode())
    # Cutting the encoded bytes may split a character: drop the broken tail, never emit it.
    stem = stem.encode()[:room].decode("utf-8", errors="ignore").rstrip(" .")
    return stem + suffix if stem else suffix.lstrip(".")


def _boundary(content_type: str | None, location: tuple[str, ...]) -> bytes:
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary", b"")
    if media_type != b"multipart/form-data" or not boundary:
        raise InvalidInput(
            "Expected a multipart/form-data body with a boundary, "
            f"got Content-Type {content_type or 'none'!r}.",
            location,
        )
    return boundary


def _parser(boundary: bytes, parts: _PartReader, location: tuple[str, ...]) -> MultipartParser:
    try:
        return MultipartParser(boundary, parts.callbacks())
    except FormParserError as exc:
        raise InvalidInput(f"Invalid multipart boundary: {exc}", location) from None


def _check_content_length(value: str | None, max_bytes: int) -> None:
    if value is None:
        return  # chunked: the limit is enforced while streaming
    try:
        length = int(value)
    except ValueError:
        raise InvalidInput(
            "Content-Length is not a number.", ("header", "content-length")
        ) from None
    if length > max_bytes + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)


def _feed(parser: MultipartParser, chunk: bytes, location: tuple[str, ...]) -> None:
    try:
        parser.write(chunk)
    except FormParserError as exc:
        raise InvalidInput(f"Malformed multipart body: {exc}", location) from None


@dataclass
class _PartReader:
    """The parser's callbacks: routes the ``field`` part to the writer, drops the rest."""

    writer: BlobWriter
    field_name: str
    found: bool = False
    ended: bool = False
    filename: str | None = None
    declared_type: str | None = None
    _in_file: bool = False
    _other_bytes: int = 0
    _header_name: bytearray = dataclasses.field(default_factory=bytearray)
    _header_value: bytearray = dataclasses.field(default_factory=bytearray)
    _headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }

    def _on_part_begin(self) -> None:
        self._headers.clear()
        self._in_file = False

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_other(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_other(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = _decode_header(self._header_name).strip().lower()
        self._headers[name] = _decode_header(self._header_value).strip()
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        params = _disposition_params(self._headers.get("content-disposition", ""))
        if params.get("name") != self.field_name:
            return
        if self.found:
            raise InvalidInput(
                f"Only one {self.field_name!r} part is allowed.", ("body", self.field_name)
            )
        self.found = self._in_file = True
        self.filename = _filename(params)
        self.declared_type = self._headers.get("content-type") or None

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.writer.write(data[start:end])
        else:
            self._count_other(end - start)

    def _on_part_end(self) -> None:
        self._in_file = False

    def _on_end(self) -> None:
        self.ended = True

    def _count_other(self, size: int) -> None:
        self._other_bytes += size
        if self._other_bytes > OTHER_PARTS_LIMIT:
            raise InvalidInput(
                f"The form fields besides {self.field_name!r} exceed {OTHER_PARTS_LIMIT} bytes.",
                ("body",),
            )


def _decode_header(raw: bytes | bytearray) -> str:
    # Browsers and httpx send non-ASCII filenames as raw UTF-8; anything else is read as Latin-1.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _disposition_params(value: str) -> dict[str, str]:
    """The parameters of a Content-Disposition value, names lower-cased, quotes removed."""
    params: dict[str, str] = {}
    for match in _DISPOSITION_PARAM.finditer(value):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            # Only \\ and \" are escapes: browsers send other backslashes (Windows paths) as is.
            raw = _QUOTED_ESCAPE.sub(r"\1", raw[1:-1])
        params.setdefault(match.group(1).lower(), raw)
    return params


def _filename(params: dict[str, str]) -> str | None:
    """``filename*`` (RFC 5987, e.g. ``UTF-8''r%C3%A9sum%C3%A9.pdf``) wins over ``filename``."""
    extended = params.get("filename*")
    if extended is not None:
        charset, _, rest = extended.partition("'")
        _language, quote, encoded = rest.partition("'")
        if quote and charset.lower() in EXT_VALUE_CHARSETS:
            return urllib.parse.unquote(encoded, encoding=charset, errors="replace")
    return params.get("filename")
