"""Plain-text family: prose, Markdown, source code, CSV/TSV, JSON/JSONL, XML, YAML.

Encodings are detected, not assumed: BOMs first, then strict UTF-8, then charset-normalizer
(which is how a Shift-JIS CSV becomes Japanese rather than mojibake), then cp1252 as the last
resort because it decodes any byte and is the most common legacy encoding.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path

from charset_normalizer import from_bytes

from . import mime
from .detect import utf16_order
from .errors import ExtractionTooLarge
from .limits import ExtractionLimits
from .markdown import normalize, strip_controls, table
from .result import Extraction, assemble

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_FENCE_RUN = re.compile(r"`{3,}")
# Latin-script single-byte code pages that charset-normalizer often confuses with one another
# on short Western European text (it reads French latin-1 as Baltic cp1257).
_LATIN_CODEPAGES = frozenset(
    {
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "latin_1",
        "iso8859_2",
        "iso8859_3",
        "iso8859_4",
        "iso8859_9",
        "iso8859_10",
        "iso8859_13",
        "iso8859_14",
        "iso8859_15",
        "iso8859_16",
        "mac_roman",
        "mac_latin2",
        "mac_iceland",
        "mac_turkish",
        "hp_roman8",
        "cp850",
        "cp775",
    }
)
_WORD_INNER = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f](?=[^\W\d_])")


def read_text(path: Path, limits: ExtractionLimits) -> str:
    """Read and decode a text file, refusing files larger than the decompressed-bytes cap."""
    size = path.stat().st_size
    if size > limits.max_decompressed_bytes:
        raise ExtractionTooLarge(
            f"The text file is {size // 2**20} MiB; the limit is "
            f"{limits.max_decompressed_bytes // 2**20} MiB"
        )
    return decode_text(path.read_bytes())


def decode_text(data: bytes) -> str:
    """Decode bytes of unknown encoding into text, keeping all Unicode."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    order = utf16_order(data[:8192])
    if order:
        return data.decode(order, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        return data.decode("cp1252", errors="replace")
    if best.encoding in _LATIN_CODEPAGES:
        return _latin_choice(data, str(best))
    return str(best)


def _latin_choice(data: bytes, guessed: str) -> str:
    """Between the guessed Latin code page and cp1252, keep the one with fewer symbols
    inside words ("Za¿ó³æ" is Polish read as cp1252); on a tie take cp1252, the most common.
    """
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        return guessed
    return western if _symbols_in_words(western) <= _symbols_in_words(guessed) else guessed


def _symbols_in_words(text: str) -> int:
    return sum(
        1 for char in _WORD_INNER.findall(text) if not unicodedata.category(char).startswith("L")
    )


def extract_text(path: Path, mime_type: str, limits: ExtractionLimits) -> Extraction:
    """Turn any text-family file into Markdown (one page)."""
    text = strip_controls(read_text(path, limits))
    return assemble([render_text(text, mime_type)], mime_type)


def render_text(text: str, mime_type: str) -> str:
    """Markdown for decoded text of a given type; code-like types become fenced blocks."""
    if mime_type in (mime.CSV, mime.TSV):
        return render_csv(text, "\t" if mime_type == mime.TSV else None)
    if mime_type == mime.JSON:
        return fenced(_pretty_json(text), "json")
    if mime_type == mime.JSONL:
        return fenced(_pretty_jsonl(text), "json")
    if mime_type in (mime.XML, mime.YAML):
        return fenced(text, "xml" if mime_type == mime.XML else "yaml")
    if mime_type in mime.CODE_LANGUAGES:
        return fenced(text, mime.CODE_LANGUAGES[mime_type])
    if mime_type == mime.MARKDOWN:
        return text.strip()
    return normalize(text)


def fenced(text: str, language: str) -> str:
    """A fenced code block whose fence is longer than any backtick run inside the text."""
    longest = max((len(run) for run in _FENCE_RUN.findall(text)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.strip(chr(10))}\n{fence}"


def render_csv(text: str, delimiter: str | None) -> str:
    """A delimited file as one Markdown table, the first row taken as the header."""
    if delimiter is None:
        delimiter = _sniff_delimiter(text[:16384])
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return table(rows)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _pretty_jsonl(text: str) -> str:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.dumps(json.loads(line), ensure_ascii=False))
        except ValueError:
            lines.append(line)
    return "\n".join(line for line in lines if line.strip())
