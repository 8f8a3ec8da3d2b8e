"""The daftar hadir of a seminar (or of one seminar group) as an A4 PDF to print and sign.

Pure: takes the gathered `AttendanceSheet`, a language and the moment it is made; returns the
PDF bytes, so it can run in a worker thread. Fonts as in the portfolio (DejaVu: full Unicode).
"""

from __future__ import annotations

from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from documents.portfolio_pdf import FONT, file_slug, font_paths
from domain.i18n import Translator, format_datetime, translator
from domain.nip import InvalidNip, parse_nip
from services.seminar_materials import AttendanceSheet

# Room to sign in each row (mm), and the columns: No, Nama, NIP, Peran, Instansi, Tanda tangan.
ROW_HEIGHT_MM = 13.0
COLUMN_WIDTHS = (9, 50, 33, 19, 39, 30)
_GREY = (110, 110, 110)
_BLACK = (0, 0, 0)


class _Document(FPDF):
    def __init__(self, page_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._page_label = page_label

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 10, self._page_label.replace("{page}", str(self.page_no())), align="C")
        self.set_text_color(*_BLACK)


def render_attendance(sheet: AttendanceSheet, *, language: str, generated_at: datetime) -> bytes:
    """The daftar hadir: a heading naming the seminar, then one numbered row per person with
    an empty signature cell; the table's heading repeats on every page."""
    t = translator(language)
    pdf = _Document(t("attendance.pdf.page", page="{page}", pages="{nb}"))
    regular, bold = font_paths()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    _heading(pdf, t, sheet)
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        text_align="LEFT",
        line_height=4.5,
        padding=(1, 1, 1, 1),
        min_row_height=ROW_HEIGHT_MM,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
    ) as table:
        head = table.row()
        for key in ("no", "name", "nip", "role", "agency", "signature"):
            head.cell(t(f"attendance.pdf.col.{key}"))
        for n, row in enumerate(sheet.rows, start=1):
            cells = table.row()
            cells.cell(str(n))
            cells.cell(row.name)
            cells.cell(_nip(row.nip, generated_at))
            cells.cell(t(row.role.message_key))
            cells.cell(row.agency or "-")
            cells.cell("")  # signed on paper
    pdf.ln(4)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(
        0,
        4,
        t.plural(
            "attendance.pdf.generated",
            len(sheet.rows),
            at=format_datetime(generated_at, sheet.seminar.zone, language),
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def _heading(pdf: FPDF, t: Translator, sheet: AttendanceSheet) -> None:
    seminar = sheet.seminar
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, t("attendance.pdf.title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    kind = t(f"seminar.kind.{seminar.kind.value}")
    pdf.multi_cell(0, 6, kind, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(0, 5, seminar.cohort_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    lines = [
        t("attendance.pdf.when", at=format_datetime(seminar.starts_at, seminar.zone, t.language)),
        t("attendance.pdf.where", where=seminar.where or "-"),
    ]
    if sheet.group is not None:
        lines.append(t("attendance.pdf.group", group=sheet.group))
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _nip(nip: str | None, generated_at: datetime) -> str:
    if not nip:
        return "-"
    try:
        return parse_nip(nip, today=generated_at.date()).formatted
    except InvalidNip:
        return nip


def attendance_file_name(t: Translator, sheet: AttendanceSheet) -> str:
    """ "daftar-hadir-seminar-12.pdf", or "...-kelompok-2.pdf" for one seminar group."""
    if sheet.group is None:
        return t("attendance.file_name", id=sheet.seminar.id)
    return t("attendance.file_name_group", id=sheet.seminar.id, group=file_slug(sheet.group))
