"""Microsoft Office files: DOCX, PPTX and XLSX with their libraries, XLS with xlwt, and a
Word 97 .doc written from the binary format's specification (an OLE2 compound file)."""

from __future__ import annotations

import struct
from pathlib import Path

DOCX_MARKER = "c0ffee-4b1d-report-marker"
DOC_TEXT = "Summer activities\rSwimming in the lake\rDon\u2019t forget to drink water\r"


def write_docx(path: Path) -> Path:
    """A report with a title, headings, a list, a table with a merged cell and a comment."""
    import docx

    document = docx.Document()
    document.add_heading("Annual report", level=0)
    document.add_heading("Introduction", level=1)
    intro = document.add_paragraph(f"This report explains the year. Reference {DOCX_MARKER}.")
    document.add_comment(intro.runs, text="Check the figures. 12df-321a", author="Ada")
    document.add_paragraph("First point", style="List Bullet")
    document.add_paragraph("Second point", style="List Bullet")
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate(table.rows):
        for column, cell in enumerate(cells.cells):
            cell.text = f"Header 0.{column}" if row == 0 else f"Cell {row}.{column}"
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    merged.text = "Merged Cell 1.1 1.2"
    document.save(str(path))
    return path


HEADER_TITLE = "Zephyr Bridge Inspection Manual"


def write_layout_docx(path: Path) -> Path:
    """A title only in the page header, a footer, a nested table and a vertical merge.

    Two sections with the same header, so a header repeated on every page must come out once.
    """
    import docx
    from docx.enum.section import WD_SECTION

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = HEADER_TITLE
    document.sections[0].footer.paragraphs[0].text = "Revision 7, printed copies are uncontrolled"
    document.add_paragraph("The inspection covers cables, deck and piers.")
    outer = document.add_table(rows=3, cols=3)
    for row, cells in enumerate(outer.rows):
        for column, cell in enumerate(cells.cells):
            cell.text = f"R{row}C{column}"
    outer.cell(1, 0).merge(outer.cell(2, 0)).text = "Piers"
    inner = outer.cell(1, 2).add_table(rows=2, cols=2)
    for (row, column), text in {
        (0, 0): "Bolt",
        (0, 1): "Torque",
        (1, 0): "M24",
        (1, 1): "640 Nm",
    }.items():
        inner.cell(row, column).text = text
    second = document.add_section(WD_SECTION.NEW_PAGE)
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = HEADER_TITLE
    document.add_paragraph("Second part: the cable saddles.")
    document.save(str(path))
    return path


def write_pptx(path: Path) -> Path:
    """Three slides: titles, bullet text and a table."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    for number, title in enumerate(["Opening slide", "Second slide title", "Closing words"], 1):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = title
        box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
        box.text_frame.text = f"Talking point number {number}"
    table = deck.slides[2].shapes.add_table(2, 2, Inches(1), Inches(3), Inches(4), Inches(1))
    for (row, column), text in {
        (0, 0): "Name",
        (0, 1): "Score",
        (1, 0): "Ada",
        (1, 1): "42",
    }.items():
        table.table.cell(row, column).text = text
    deck.save(str(path))
    return path


def write_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "Sheet1"
    for row in (["first", "second", "third"], [1, 5, 9], [2, 4, 6]):
        first.append(row)
    second = book.create_sheet("Sheet2")
    for row in (["col-1", "col-2"], ["alpha", "beta"]):
        second.append(row)
    book.save(str(path))
    return path


def write_xls(path: Path) -> Path:
    import xlwt  # type: ignore[import-untyped]

    book = xlwt.Workbook()
    for name, rows in {"Prices": [["item", "price"], ["tea", 3]], "Stock": [["tea", 40]]}.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.save(str(path))
    return path


# --- Word 97 (.doc) ------------------------------------------------------------------------

_SECTOR = 512
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_TEXT_OFFSET = 0x800


def write_doc(path: Path, text: str = DOC_TEXT, encrypted: bool = False) -> Path:
    """A Word 97 document: a FIB and the text in one 8-bit piece, listed by a piece table."""
    encoded = text.encode("cp1252")
    word = bytearray(max(4096, _TEXT_OFFSET + len(encoded)))
    flags = 0x0200 | (0x0100 if encrypted else 0)  # the piece table is in "1Table"
    struct.pack_into("<HH", word, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", word, 0x0A, flags)
    struct.pack_into("<i", word, 0x4C, len(text))
    word[_TEXT_OFFSET : _TEXT_OFFSET + len(encoded)] = encoded
    piece = struct.pack("<II", 0, len(text)) + struct.pack(
        "<HIH", 0, (_TEXT_OFFSET * 2) | 0x40000000, 0
    )
    clx = b"\x02" + struct.pack("<I", len(piece)) + piece
    struct.pack_into("<II", word, 0x1A2, 0, len(clx))
    table = clx + bytes(4096 - len(clx))
    path.write_bytes(_compound_file({"WordDocument": bytes(word), "1Table": table}))
    return path


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (version 3) holding ``streams`` (each at least 4096 bytes)."""
    fat = [_FAT, _END]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for data in streams.values():
        count = -(-len(data) // _SECTOR)
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [_END]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    names = list(streams)
    entries = [_dir_entry("Root Entry", 5, child=1, start=_END, size=0)]
    for index, name in enumerate(names):
        left = index + 2 if index + 1 < len(names) else _FREE
        entries.append(_dir_entry(name, 2, left=left, start=starts[index], size=len(streams[name])))
    directory = b"".join(entries).ljust(_SECTOR, b"\0")
    header = bytearray(_SECTOR)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 44, 1, 1, 0, 4096)
    struct.pack_into("<IIII", header, 60, _END, 0, _END, 0)
    struct.pack_into("<I", header, 76, 0)
    for slot in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * slot, _FREE)
    body = b"".join(
        data.ljust(-(-len(data) // _SECTOR) * _SECTOR, b"\0") for data in streams.values()
    )
    return bytes(header) + struct.pack(f"<{len(fat)}I", *fat) + directory + body


def _dir_entry(
    name: str, kind: int, *, start: int, size: int, child: int = _FREE, left: int = _FREE
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    entry = bytearray(128)
    entry[: len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, left, _FREE, child)
    struct.pack_into("<II", entry, 116, start, size)
    return bytes(entry)
