"""A cohort export as an XLSX workbook: one sheet per table, ready for filtering in Excel."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from documents.export_tables import Cell, CellKind, Table, export_tables
from domain.i18n import translator
from services.exports import CohortExport

_BOLD = Font(bold=True)
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_MAX_WIDTH = {CellKind.LONG_TEXT: 60, CellKind.TEXT: 40}
_MIN_WIDTH = 8


def render_xlsx(export: CohortExport, language: str, zone: ZoneInfo) -> bytes:
    """The workbook's bytes; headers and labels in `language`, times in `zone`."""
    t = translator(language)
    formats = {
        CellKind.DATE: t("export.format.date"),
        CellKind.DATETIME: t("export.format.datetime"),
        CellKind.HOURS: "0.0",
        CellKind.NUMBER: "0",
    }
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    workbook.properties.title = t("export.title", cohort=export.cohort_name)
    workbook.properties.creator = "properbot"
    for table in export_tables(export, language, zone):
        _sheet(workbook.create_sheet(_sheet_title(table.title)), table, formats)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return "".join(c for c in title if c not in "[]:*?/\\")[:31]


def _sheet(sheet: Worksheet, table: Table, formats: dict[CellKind, str]) -> None:
    sheet.append([column.header for column in table.columns])
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.alignment = _WRAP
    for row in table.rows:
        sheet.append([_clean(value) for value in row])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        number_format = formats.get(column.kind)
        alignment = _WRAP if column.kind is CellKind.LONG_TEXT else _TOP
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text that starts with "=" stays text, never a formula
            if number_format is not None:
                cell.number_format = number_format
            cell.alignment = alignment
        sheet.column_dimensions[letter].width = _width(column.kind, column.header, table, index)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"


def _clean(value: Cell) -> Cell:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _width(kind: CellKind, header: str, table: Table, index: int) -> float:
    if kind is CellKind.DATETIME:
        content = 17
    elif kind is CellKind.DATE:
        content = 12
    elif kind in (CellKind.NUMBER, CellKind.HOURS):
        content = 8
    else:
        lengths = [len(_text(row[index - 1])) for row in table.rows]
        content = min(max(lengths, default=0), _MAX_WIDTH.get(kind, 40))
    # Headers wrap, so a long one need not widen its column past 24; +2 for the filter button.
    return float(max(_MIN_WIDTH, content, min(len(header), 24)) + 2)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
