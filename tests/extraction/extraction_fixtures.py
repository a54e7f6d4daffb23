"""Helpers that build test inputs on the fly (nothing binary is committed)."""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

from tests.support.samples.pdfs import write_text_pdf

__all__ = ["docx_with_bomb", "lined_pdf", "understate_sizes", "write_text_pdf"]


def lined_pdf(path: Path, pages: int, lines: int = 40) -> Path:
    """A PDF of ``pages`` pages of ``lines`` numbered lines of prose (benchmarks, big inputs)."""
    texts = [
        "\n".join(
            f"Page {number}, line {row}: a sentence of plain words for the benchmark."
            for row in range(lines)
        )
        for number in range(1, pages + 1)
    ]
    return write_text_pdf(path, texts)


def docx_with_bomb(source: Path, target: Path, size: int) -> Path:
    """Copy a real DOCX and add a member of ``size`` zero bytes (highly compressible)."""
    shutil.copyfile(source, target)
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/bomb.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return target


def understate_sizes(path: Path, declared: int) -> None:
    """Rewrite every central-directory entry to claim ``declared`` uncompressed bytes.

    This is how a hostile archive lies to size checks; readers must still stop.
    """
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    count, _, start = struct.unpack_from("<HII", data, end + 10)
    position = start
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, position + 28)
        struct.pack_into("<I", data, position + 24, declared)
        position += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))
