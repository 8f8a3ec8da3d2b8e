"""A cohort export as CSV files, one per table, UTF-8 with a BOM so Excel reads it right.

Comma-separated with a dot for decimals (hours "1.5"); times "YYYY-MM-DD HH:MM" in the
export's zone, named in the header; dates "YYYY-MM-DD". A text cell that starts with
=, +, -, @ or a tab gets a leading apostrophe, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

from documents.export_tables import Cell, CellKind, export_tables
from services.exports import CohortExport

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(export: CohortExport, language: str, zone: ZoneInfo) -> dict[str, bytes]:
    """File name (in `language`, e.g. "peserta.csv") -> that table's bytes, in table order."""
    files: dict[str, bytes] = {}
    for table in export_tables(export, language, zone):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([column.header for column in table.columns])
        for row in table.rows:
            cells = zip(row, table.columns, strict=True)
            writer.writerow([_cell(value, column.kind) for value, column in cells])
        files[table.file_name] = (BOM + out.getvalue()).encode("utf-8")
    return files


def zip_files(files: dict[str, bytes]) -> bytes:
    """The CSV files in one ZIP archive, for a single download or a single --out file."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _cell(value: Cell, kind: CellKind) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}" if kind is CellKind.HOURS else str(value)
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value
