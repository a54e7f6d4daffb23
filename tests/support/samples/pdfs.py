"""PDF generators: a minimal text-layer writer, scans, encrypted and damaged files."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from PIL import Image


def text_pdf_bytes(pages: Sequence[str]) -> bytes:
    """A minimal valid PDF: one page per string, one Helvetica line per text line."""
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
    return bytes(out)


def write_text_pdf(path: Path, pages: Sequence[str]) -> Path:
    path.write_bytes(text_pdf_bytes(pages))
    return path


def write_broken_xref_pdf(path: Path, text: str) -> Path:
    """A PDF whose cross-reference table points at wrong offsets (readers must rebuild it)."""
    data = text_pdf_bytes([text])
    broken = re.sub(rb"\d{10} 00000 n", b"0000000999 00000 n", data)
    path.write_bytes(broken)
    return path


def write_scanned_pdf(path: Path, pages: Sequence[Image.Image], dpi: int = 200) -> Path:
    """An image-only PDF (no text layer), as a scanner writes it."""
    first, *rest = [page.convert("RGB") for page in pages]
    first.save(path, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return path


def write_scan_with_layer(path: Path, pages: Sequence[tuple[Image.Image, str]]) -> Path:
    """Scanned pages carrying an invisible text layer each (render mode 3), as OCR tools write.

    The layer is whatever is given: a faithful one, or garbage as a bad OCR run leaves it.
    """
    from fpdf import FPDF
    from fpdf.enums import TextMode  # type: ignore[import-untyped]

    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("Helvetica", size=11)
    for image, layer in pages:
        pdf.add_page()
        pdf.image(image.convert("RGB"), x=0, y=0, w=pdf.w)
        pdf.text_mode = TextMode.INVISIBLE
        for row, line in enumerate(layer.split("\n")):
            pdf.text(40, 60 + 18 * row, line)
        pdf.text_mode = TextMode.FILL
    pdf.output(str(path))
    return path


def garbage_layer(text: str, seed: int = 3) -> str:
    """What a bad OCR run leaves: the right shape, wrong characters (``«POAH «3E*»CM``)."""
    rng = random.Random(seed)
    noise = "\u00ab\u00bb\u00ac\u00a7\u00a4\u00b6*#@%&^~|<>=+0123456789ABCDEFGHJKMPQRTWXZ"
    return "".join(char if char.isspace() else rng.choice(noise) for char in text)


def write_rtl_glyph_pdf(
    path: Path, lines: Sequence[str], font: Path, *, visual: bool = False
) -> Path:
    """Right-to-left text written glyph by glyph, each placed on its own from the right; drawn
    in reading order, or in ``visual`` order (from the left, as some writers do).

    Some PDF writers position every glyph separately; with Arabic vowel marks (zero width)
    this is what puts a mark before its letter in the extracted text.
    """
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("arabic", fname=str(font))
    pdf.set_font("arabic", size=20)
    for row, line in enumerate(lines):
        x = pdf.w - 20
        placed = []
        for char in line:
            x -= pdf.get_string_width(char)
            placed.append((x, char))
        for x, char in reversed(placed) if visual else placed:
            pdf.text(x, 40 + 14 * row, char)
    pdf.output(str(path))
    return path


def write_shaped_arabic_pdf(path: Path, lines: Sequence[str], font: Path) -> Path:
    """Lines shaped by HarfBuzz and right-aligned, as office suites and browsers write them:
    joined letter forms in visual order, vowel marks raised over their letters."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("arabic", fname=str(font))
    pdf.set_font("arabic", size=20)
    pdf.set_text_shaping(use_shaping_engine=True)
    for line in lines:
        pdf.cell(w=0, h=10, text=line, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path, text: str) -> Path:
    """A PDF that opens only with a user password (RC4, the standard security handler)."""
    from fpdf import FPDF  # type: ignore[import-untyped]

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    pdf.output(str(path))
    return path


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
