"""The four files the console tests drop into a library, built on the fly."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import docx
from PIL import Image, ImageDraw, ImageFont

from tests.extraction.extraction_fixtures import write_text_pdf


def text_pdf(path: Path) -> Path:
    """Two full pages; the end of the second names the fact the search test looks for."""
    first = [f"Shelf {n} of the archive holds letters, ledgers and charts." for n in range(40)]
    second = [f"Box {n} of the reading room keeps receipts of the ferry line." for n in range(36)]
    second += ["The lighthouse keeper logged every storm in the ledger."]
    return write_text_pdf(path, ["\n".join(first), "\n".join(second)])


def word_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Harbour minutes", level=1)
    document.add_paragraph("The harbour committee approved the new breakwater in spring.")
    document.save(str(path))
    return path


def scanned_png(path: Path) -> Path:
    """A picture of text, readable only through OCR."""
    image = Image.new("RGB", (1400, 300), "white")
    font = ImageFont.load_default(size=64)
    ImageDraw.Draw(image).text((40, 100), "TIDE TABLES FOR MARCH", fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def encrypted_pdf(path: Path) -> Path:
    """A PDF locked with a password nobody knows (standard security handler, RC4 40-bit).

    The /U entry is random, so no password (the empty one included) opens it.
    """
    plain = write_text_pdf(path, ["Locked content"]).read_bytes()
    body, _, _tail = plain.rpartition(b"trailer")
    encrypt_number = body.count(b" obj\n") + 1
    encrypt_offset = len(body)
    owner, user = secrets.token_bytes(32).hex(), secrets.token_bytes(32).hex()
    body += b"%d 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>\nendobj\n" % (
        encrypt_number,
        owner.encode(),
        user.encode(),
    )
    xref_start = body.index(b"xref\n")
    xref_offset = len(body)
    entries = body[xref_start:encrypt_offset].split(b"\n")[2:-1]
    table = b"xref\n0 %d\n" % (encrypt_number + 1)
    table += b"\n".join(entries) + b"\n" + b"%010d 00000 n \n" % encrypt_offset
    file_id = secrets.token_bytes(16).hex().encode()
    trailer = (
        b"trailer\n<< /Size %d /Root 1 0 R /Encrypt %d 0 R /ID [<%s> <%s>] >>\n"
        b"startxref\n%d\n%%%%EOF\n"
        % (encrypt_number + 1, encrypt_number, file_id, file_id, xref_offset)
    )
    path.write_bytes(body + table + trailer)
    return path


def four_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        text_pdf(folder / "shelving-report.pdf"),
        word_docx(folder / "harbour-minutes.docx"),
        scanned_png(folder / "tide-tables-scan.png"),
        encrypted_pdf(folder / "locked.pdf"),
    ]
