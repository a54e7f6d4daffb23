"""Spreadsheets: XLSX with openpyxl (read-only, cached values) and legacy XLS with xlrd.

Each sheet becomes one page: its name as a heading and its used range as a Markdown table
whose first row is taken as the header, which is how most sheets are laid out.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import openpyxl  # type: ignore[import-untyped]
import xlrd  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from . import mime
from .errors import CorruptDocument, EncryptedDocument, ExtractionTooLarge
from .limits import ExtractionLimits, check_zip
from .markdown import blocks, heading, table
from .result import Extraction, assemble


def extract_xlsx(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract an XLSX, one page per worksheet."""
    check_zip(path, limits)
    with path.open("rb") as handle:  # a file object: openpyxl refuses paths without ".xlsx"
        return _extract_workbook(handle, limits)


def _extract_workbook(handle: BinaryIO, limits: ExtractionLimits) -> Extraction:
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise CorruptDocument(f"The spreadsheet is damaged and could not be read ({exc})") from exc
    try:
        _check_sheet_count(len(workbook.worksheets), limits)
        pages = [
            sheet_page(sheet.title, sheet.iter_rows(values_only=True))
            for sheet in workbook.worksheets
        ]
    except (KeyError, ValueError, TypeError) as exc:
        raise CorruptDocument(f"The spreadsheet is damaged and could not be read ({exc})") from exc
    finally:
        workbook.close()
    return assemble(pages, mime.XLSX)


def extract_xls(path: Path, limits: ExtractionLimits) -> Extraction:
    """Extract a legacy Excel 97-2003 workbook, one page per sheet."""
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedDocument(
                "The spreadsheet is protected with a password; upload an unencrypted copy"
            ) from exc
        raise CorruptDocument(f"The spreadsheet could not be read ({exc})") from exc
    except (xlrd.compdoc.CompDocError, ValueError, IndexError, OSError) as exc:
        raise CorruptDocument(f"The spreadsheet is damaged and could not be read ({exc})") from exc
    try:
        _check_sheet_count(book.nsheets, limits)
        pages = [_xls_sheet(book, index) for index in range(book.nsheets)]
    except (xlrd.XLRDError, ValueError, IndexError) as exc:
        raise CorruptDocument(f"The spreadsheet is damaged and could not be read ({exc})") from exc
    finally:
        book.release_resources()
    return assemble(pages, mime.XLS)


def sheet_page(title: str, rows: Iterable[Sequence[object]]) -> str:
    """One sheet as a heading and a table (shared with ODS)."""
    return blocks([heading(2, title), table([cell_text(v) for v in row] for row in rows)])


def cell_text(value: object) -> str:
    """Render a cell value the way a reader expects: 3 not 3.0, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _xls_sheet(book: xlrd.book.Book, index: int) -> str:
    sheet = book.sheet_by_index(index)
    rows = ([_xls_value(book, cell) for cell in sheet.row(r)] for r in range(sheet.nrows))
    page = sheet_page(sheet.name, rows)
    book.unload_sheet(index)
    return page


def _xls_value(book: xlrd.book.Book, cell: xlrd.sheet.Cell) -> object:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
        except (xlrd.xldate.XLDateError, OverflowError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return ""
    return cell.value


def _check_sheet_count(count: int, limits: ExtractionLimits) -> None:
    if count > limits.max_pages:
        raise ExtractionTooLarge(
            f"The spreadsheet has {count:,} sheets; the limit is {limits.max_pages:,}"
        )
