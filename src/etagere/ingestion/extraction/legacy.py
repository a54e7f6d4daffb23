"""Legacy Word 97-2003 (.doc) text, read from the binary format with olefile.

A .doc file is an OLE2 container whose ``WordDocument`` stream holds the text in pieces
listed by the piece table (the CLX structure in the ``0Table``/``1Table`` stream, [MS-DOC]
2.8.35). Pieces are either 8-bit (cp1252) or UTF-16LE. This yields the main story's
paragraphs in order; field codes are dropped and their results kept. Paragraph styles are not
parsed, so headings come out as plain paragraphs and table cells as separate lines: the text
is complete and searchable, the structure is flat.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import olefile  # type: ignore[import-untyped]

from . import mime
from .errors import CorruptDocument, EncryptedDocument, ExtractionTooLarge
from .limits import ExtractionLimits
from .markdown import normalize
from .result import Extraction, assemble

_WORD_MAGIC = 0xA5EC
_FLAG_ENCRYPTED = 0x0100
_FLAG_TABLE_1 = 0x0200
_CCP_TEXT_OFFSET = 0x4C
_FC_CLX_OFFSET = 0x1A2
_FIELD = re.compile(r"\x13[^\x13\x14\x15]*(?:\x14([^\x13\x14\x15]*))?\x15")
# Control characters of the Word text stream: cell/row marks and breaks become line breaks,
# non-breaking hyphen a hyphen, object anchors and optional hyphens disappear.
_CONTROL_MAP = str.maketrans(
    {
        "\r": "\n\n",
        "\x07": "\n",
        "\x0b": "\n",
        "\x0c": "\n",
        "\x1e": "-",
        "\x1f": None,
        "\x01": None,
        "\x08": None,
    }
)


def extract_doc(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract the main text of a Word 97-2003 document (one page)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            word = _read_stream(ole, "WordDocument", limits)
            ccp_text, table_name, fc_clx, lcb_clx = _fib(word)
            table = _read_stream(ole, table_name, limits)
        text = _piece_text(word, table[fc_clx : fc_clx + lcb_clx], ccp_text)
    except (OSError, struct.error, IndexError, ValueError) as exc:
        raise CorruptDocument(
            f"The Word document is damaged and could not be read ({exc})"
        ) from exc
    return assemble([_clean(text)], mime.DOC)


def _read_stream(ole: olefile.OleFileIO, name: str, limits: ExtractionLimits) -> bytes:
    if not ole.exists(name):
        raise CorruptDocument(f"The Word document has no {name} stream")
    if ole.get_size(name) > limits.max_decompressed_bytes:
        raise ExtractionTooLarge("The Word document is too large to process")
    return bytes(ole.openstream(name).read())


def _fib(word: bytes) -> tuple[int, str, int, int]:
    """From the File Information Block: text length, table stream name, piece table place."""
    (ident,) = struct.unpack_from("<H", word, 0)
    if ident != _WORD_MAGIC:
        raise CorruptDocument("The file is not a Word 97-2003 document")
    (flags,) = struct.unpack_from("<H", word, 0x0A)
    if flags & _FLAG_ENCRYPTED:
        raise EncryptedDocument(
            "The Word document is protected with a password; upload an unencrypted copy"
        )
    (ccp_text,) = struct.unpack_from("<i", word, _CCP_TEXT_OFFSET)
    fc_clx, lcb_clx = struct.unpack_from("<II", word, _FC_CLX_OFFSET)
    return ccp_text, "1Table" if flags & _FLAG_TABLE_1 else "0Table", fc_clx, lcb_clx


def _piece_text(word: bytes, clx: bytes, ccp_text: int) -> str:
    """Concatenate the pieces of the piece table, stopping after the main document story."""
    position = 0
    while position < len(clx) and clx[position] == 0x01:  # Prc: formatting, skipped
        (size,) = struct.unpack_from("<h", clx, position + 1)
        position += 3 + size
    if position >= len(clx) or clx[position] != 0x02:
        raise CorruptDocument("The Word document has no piece table")
    (size,) = struct.unpack_from("<I", clx, position + 1)
    plc = clx[position + 5 : position + 5 + size]
    count = (len(plc) - 4) // 12
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    parts: list[str] = []
    for index in range(count):
        (fc_value,) = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * index + 2)
        length = cps[index + 1] - cps[index]
        if fc_value & 0x40000000:
            start = (fc_value & 0x3FFFFFFF) // 2
            parts.append(word[start : start + length].decode("cp1252", errors="replace"))
        else:
            parts.append(word[fc_value : fc_value + 2 * length].decode("utf-16-le", "replace"))
    return "".join(parts)[:ccp_text]


def _clean(text: str) -> str:
    text = _FIELD.sub(lambda match: match.group(1) or "", text)
    text = text.replace("\x13", "").replace("\x14", "").replace("\x15", "")
    return normalize(text.translate(_CONTROL_MAP))
