"""Resource limits for one extraction, and the zip-bomb guard shared by zip-based formats."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import CorruptDocument, EncryptedDocument, ExtractionTooLarge

MiB = 1024 * 1024
GiB = 1024 * MiB

# A real Office or EPUB file has at most a few thousand members; far more is a sign of abuse
# (each member costs a header parse even when tiny).
MAX_ZIP_MEMBERS = 20_000
_CHUNK = 1 * MiB


@dataclass(frozen=True)
class ExtractionLimits:
    """Caps that keep one hostile or huge file from hurting the worker."""

    timeout_seconds: float = 120
    max_pages: int = 2000
    max_decompressed_bytes: int = 512 * MiB
    memory_bytes: int = 2 * GiB
    ocr: bool = True
    ocr_languages: str = "eng"


def check_zip(path: Path, limits: ExtractionLimits) -> None:
    """Refuse zip bombs before a library unpacks the archive.

    Declared sizes are checked first (cheap), then every member is actually decompressed in
    chunks while counting bytes, because declared sizes in a hostile archive can lie.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_declared(members, limits.max_decompressed_bytes)
            total = 0
            for info in members:
                total = _drain_member(archive, info, total, limits.max_decompressed_bytes)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise CorruptDocument(f"The archive inside the document is damaged ({exc})") from exc
    except NotImplementedError as exc:
        raise CorruptDocument(f"The archive uses an unsupported compression ({exc})") from exc


def read_member(archive: zipfile.ZipFile, name: str, budget: int) -> bytes:
    """Read one member, refusing to produce more than ``budget`` bytes whatever it declares."""
    chunks: list[bytes] = []
    size = 0
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > budget:
                raise _too_large(budget)
            chunks.append(chunk)
    return b"".join(chunks)


def _check_declared(members: list[zipfile.ZipInfo], cap: int) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise ExtractionTooLarge(
            f"The document's archive has {len(members):,} parts; the limit is {MAX_ZIP_MEMBERS:,}"
        )
    if any(info.flag_bits & 0x1 for info in members):
        raise EncryptedDocument("The document's archive is encrypted; upload an unencrypted copy")
    if sum(info.file_size for info in members) > cap:
        raise _too_large(cap)


def _drain_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int, cap: int) -> int:
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > cap:
                raise _too_large(cap)
    return total


def _too_large(cap: int) -> ExtractionTooLarge:
    return ExtractionTooLarge(
        f"The document decompresses to more than {cap // MiB} MiB (possible zip bomb)"
    )
