"""Reading a cohort roster from an organizer's file, XLSX or CSV, into validated rows.

An XLSX workbook is read cell by cell (openpyxl, read-only, loaded on first use so an idle
bot does not carry it) and handed, with each row's sheet row number, to the same validation
as a CSV file (`domain.cohort_csv.parse_cohort_records`): one set of checks and messages,
and the same all-or-nothing import behind both.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.cohort_csv import (
    Cell,
    CohortFileError,
    CohortRow,
    Record,
    RowProblem,
    header_row,
    parse_cohort_csv,
    parse_cohort_records,
)

# Every .xlsx (and .docx, .ods, any ZIP) starts with a ZIP local file header.
ZIP_MAGIC = b"PK\x03\x04"
# Old binary .xls workbooks, and password-protected .xlsx ones, are OLE compound files.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_PART = "xl/workbook.xml"


def parse_roster(data: bytes, *, default_zone: ZoneInfo, today: date) -> list[CohortRow]:
    """The roster's people from an XLSX workbook or a CSV file, told apart by their bytes,
    or `CohortFileError` listing every problem (rows and cells named as the sheet numbers
    them)."""
    if data.startswith(OLE_MAGIC):
        raise CohortFileError([RowProblem(None, "roster.error.xls")])
    if data.startswith(ZIP_MAGIC):
        records = read_xlsx_records(data)
        return parse_cohort_records(
            records, default_zone=default_zone, today=today, spreadsheet=True
        )
    return parse_cohort_csv(data, default_zone=default_zone, today=today)


def read_xlsx_records(data: bytes) -> list[Record]:
    """The non-blank rows of the workbook's roster sheet, each with its sheet row number.

    The roster sheet is the first whose first rows hold a header (a template's guide sheet
    may come first once someone reorders them), else the first sheet. Cells keep their type
    where it matters: a number stays a number, so a NIP Excel stored as one can be named as
    such; dates become ISO text; every row is as wide as the widest, columns in sheet order
    from column A, so a cell's position gives its letter.
    """
    if not _is_workbook(data):
        raise CohortFileError([RowProblem(None, "roster.error.not_xlsx")])
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation extensions, say).
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged ZIP or workbook part raises anything from KeyError on
        raise CohortFileError([RowProblem(None, "roster.error.xlsx_unreadable")]) from None
    try:
        sheets: list[list[Record]] = []
        for sheet in workbook.worksheets:
            # A workbook's stored dimension can be wrong; read the rows actually there.
            sheet.reset_dimensions()
            records = _sheet_records(sheet.iter_rows(values_only=True))
            if header_row(records) is not None:
                return records
            sheets.append(records)
    except CohortFileError:
        raise
    except Exception:
        raise CohortFileError([RowProblem(None, "roster.error.xlsx_unreadable")]) from None
    finally:
        workbook.close()
    return sheets[0] if sheets else []


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _WORKBOOK_PART in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _sheet_records(rows: Iterable[Sequence[object]]) -> list[Record]:
    records: list[tuple[int, list[Cell]]] = []
    for line, values in enumerate(rows, start=1):
        cells = [_cell(value) for value in values]
        while cells and cells[-1] == "":
            cells.pop()
        if cells and any(cell != "" for cell in cells):
            records.append((line, cells))
    width = max((len(cells) for _, cells in records), default=0)
    return [(line, cells + [""] * (width - len(cells))) for line, cells in records]


def _cell(value: object) -> Cell:
    """A cell's value as the roster reads it: text trimmed, numbers kept, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()
