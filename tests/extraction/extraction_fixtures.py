"""Helpers that build test inputs on the fly (nothing binary is committed)."""

from __future__ import annotations

import os
import shutil
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

EVAL_DIR = Path(
    os.environ.get("ETAGERE_EVAL_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "eval"
)
DOCS = EVAL_DIR / "docs"


def write_text_pdf(path: Path, pages: Sequence[str]) -> Path:
    """Write a minimal valid PDF: one page per string, one Helvetica line per text line."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # page tree, filled in below once the page object numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for text in pages:
        stream = " ".join(
            f"BT /F1 11 Tf 72 {740 - 16 * row} Td ({_escape(line)}) Tj ET"
            for row, line in enumerate(text.split("\n"))
        ).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content_number = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_number
        )
        kids.append(len(objects))
    kid_refs = b" ".join(b"%d 0 R" % number for number in kids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


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


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


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
