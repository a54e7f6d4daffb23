"""Content-based type detection.

The bytes decide: magic numbers for binary formats, member names inside zip containers for
OOXML, ODF and EPUB, stream names inside OLE2 containers for legacy Office, and text sniffing
for the rest. A file's extension only breaks ties between text types (a ``.py`` and a ``.txt``
look the same), so a DOCX renamed ``.pdf`` is still read as a DOCX.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from . import mime
from .errors import CorruptDocument, EmptyDocument, EncryptedDocument, UnsupportedType

_HEAD_BYTES = 64 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_SCAN_BYTES = 64 * 1024 * 1024
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", mime.PNG),
    (b"\xff\xd8\xff", mime.JPEG),
    (b"GIF87a", mime.GIF),
    (b"GIF89a", mime.GIF),
    (b"II*\x00", mime.TIFF),
    (b"MM\x00*", mime.TIFF),
)
# Sizes of the DIB headers that may follow a BMP file header: "BM" alone is too weak a magic
# (text starting with "BMI-1" or "BMP receptor" is not an image).
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}
_OOXML_PARTS = (("word/", mime.DOCX), ("ppt/", mime.PPTX), ("xl/", mime.XLSX))
_ODF_TYPES = {mime.ODT, mime.ODS, mime.ODP, mime.EPUB}
_MAIL_HEADER = re.compile(
    rb"^(from|to|cc|subject|date|received|return-path|mime-version|message-id|delivered-to"
    rb"|reply-to|content-type|x-[\w-]+):[ \t]",
    re.IGNORECASE | re.MULTILINE,
)


def detect_type(path: Path, filename: str | None = None) -> str:
    """Return the MIME type of the file's content; raise ``UnsupportedType`` for unknown binary."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    if not head:
        raise EmptyDocument()
    suffix = Path(filename or path.name).suffix.lower()
    binary = _binary_type(path, head)
    if binary is not None:
        return binary
    if not looks_like_text(head):
        raise UnsupportedType("Unsupported file type: the content is not a known document format")
    return _text_type(head, suffix)


def _binary_type(path: Path, head: bytes) -> str | None:
    if b"%PDF-" in head[:1024]:
        return mime.PDF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_type(path)
    if head.startswith(_OLE_MAGIC):
        return _ole_type(path)
    if head.startswith(b"{\\rtf"):
        return mime.RTF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return mime.WEBP
    for magic, image_type in _IMAGE_MAGIC:
        if head.startswith(magic):
            return image_type
    if _is_bmp(head):
        return mime.BMP
    return None


def _is_bmp(head: bytes) -> bool:
    """A BMP file header: "BM", reserved zeros, then a DIB header of a known size."""
    if len(head) < 18 or not head.startswith(b"BM"):
        return False
    reserved = head[6:10]
    dib_size = int.from_bytes(head[14:18], "little")
    return reserved == b"\x00\x00\x00\x00" and dib_size in _BMP_DIB_SIZES


def _zip_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            declared = _odf_mimetype(archive, names)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptDocument(
            f"The file looks like a ZIP-based document but is damaged ({exc})"
        ) from exc
    if declared in _ODF_TYPES:
        return declared
    if "META-INF/container.xml" in names:
        return mime.EPUB
    if "[Content_Types].xml" in names:
        for prefix, ooxml_type in _OOXML_PARTS:
            if any(name.startswith(prefix) for name in names):
                return ooxml_type
    raise UnsupportedType("ZIP archives are not supported; upload the documents themselves")


def _odf_mimetype(archive: zipfile.ZipFile, names: list[str]) -> str:
    """ODF and EPUB store their type in a small first member named ``mimetype``."""
    if "mimetype" not in names or archive.getinfo("mimetype").file_size > 200:
        return ""
    return archive.read("mimetype").decode("ascii", "replace").strip()


def _ole_type(path: Path) -> str:
    """Tell legacy Office files apart by the UTF-16 stream names in the OLE2 directory."""
    with path.open("rb") as stream:
        data = stream.read(_OLE_SCAN_BYTES)

    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage"):
        raise EncryptedDocument(
            "The Office document is protected with a password; upload an unencrypted copy"
        )
    if has("WordDocument"):
        return mime.DOC
    if has("PowerPoint Document"):
        return mime.PPT
    if has("Workbook") or has("Book"):
        return mime.XLS
    raise UnsupportedType(
        "Unsupported file type: an OLE2 container that is not a Word, Excel or PowerPoint file"
    )


def looks_like_text(head: bytes) -> bool:
    """Guess whether bytes are text in some encoding: few control bytes, NULs only as UTF-16."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if b"\x00" in head:
        return utf16_order(head) is not None
    sample = head[:8192]
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\x0c\x1b")
    return controls <= len(sample) // 100


def utf16_order(head: bytes) -> str | None:
    """Recognise BOM-less UTF-16 by NULs sitting on every other byte (mostly-ASCII text)."""
    sample = head[: len(head) // 2 * 2][:8192]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > half * 0.6 and even_nuls < half * 0.05:
        return "utf-16-le"
    if even_nuls > half * 0.6 and odd_nuls < half * 0.05:
        return "utf-16-be"
    return None


def _text_type(head: bytes, suffix: str) -> str:
    sample = _ascii_view(head).lstrip()
    lowered = sample[:2048].lower()
    if lowered.startswith(b"<"):
        return _markup_type(lowered, suffix)
    if suffix in mime.BY_SUFFIX_JSON or _is_json(sample, head):
        return mime.BY_SUFFIX_JSON.get(suffix, mime.JSON)
    if suffix == ".eml" or len(_MAIL_HEADER.findall(sample[:4096].split(b"\n\n")[0])) >= 3:
        return mime.EML
    return mime.BY_SUFFIX_TEXT.get(suffix, mime.TEXT)


def _markup_type(lowered: bytes, suffix: str) -> str:
    if b"<!doctype html" in lowered or b"<html" in lowered or suffix in (".html", ".htm"):
        return mime.HTML
    if suffix in mime.BY_SUFFIX_TEXT and suffix not in (".txt", ".xml"):
        return mime.BY_SUFFIX_TEXT[suffix]
    return mime.XML


def _is_json(sample: bytes, head: bytes) -> bool:
    """Whole small files are parsed; large ones only need a JSON-looking start."""
    if not sample.startswith((b"{", b"[")):
        return False
    if len(head) < _HEAD_BYTES:
        try:
            json.loads(head.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            return False
    return True


def _ascii_view(head: bytes) -> bytes:
    """Drop BOMs and UTF-16 NULs so the ASCII-based checks work on any encoding."""
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.replace(b"\x00", b"") if b"\x00" in head else head
