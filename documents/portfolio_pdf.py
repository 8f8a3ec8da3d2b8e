"""The participant portfolio as an A4 PDF, ready to attach to the seminar laporan.

Pure: takes the gathered `Portfolio`, the photo bytes already fetched (reference -> bytes) and a
language, returns the PDF bytes; no database, no network, so it can run in a worker thread.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image, ImageOps, UnidentifiedImageError

from domain.enums import AdvisorKind, EvidenceKind
from domain.i18n import Translator, format_date, format_datetime, translator
from domain.nip import InvalidNip, parse_nip
from domain.project_term import with_term
from domain.roles import Role
from domain.timezones import zone_label
from services.portfolio import EvidenceRef, Portfolio, ReportEntry, ThreadNote

FONT = "DejaVu"
# Photos: as wide as the text, never taller than this (mm), so a page holds text and photo.
MAX_IMAGE_HEIGHT_MM = 80.0
# Embedded photos are shrunk to this many pixels on the longer side: sharp in print, small file.
MAX_IMAGE_PIXELS = 1600
JPEG_QUALITY = 85
INDENT_MM = 7.0
MAX_INDENT_LEVELS = 4
LINE_MM = 5.0
# The cover's blocks start no higher than these (mm from the top), so the page reads as a
# title page; longer texts push them down.
COVER_TOP_MM = 40.0
COVER_AUTHOR_MM = 105.0
COVER_FOOT_MM = 205.0
COVER_NOTE_MM = 262.0
COVER_TABLE_MM = 130.0
# Wide enough for "Rank (pangkat/golongan)" in bold on one line.
FIELD_LABEL_MM = 50.0
# Room for a handwritten signature, and the height a signature block needs in all.
SIGNATURE_SPACE_MM = 22.0
SIGNATURE_BLOCK_MM = 50.0
# The frame drawn where a photo cannot be shown.
FRAME_HEIGHT_MM = 25.0
FRAME_PADDING_MM = 3.0
FRAME_LABEL_CHARS = 150
# Font scales tried, largest first, until the cover fits on one page.
COVER_SCALES = (1.0, 0.85, 0.7, 0.55, 0.45)
_GREY = (110, 110, 110)
_BLACK = (0, 0, 0)
# Control characters other than newline and tab would print as boxes or upset the layout.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@cache
def font_paths() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold as shipped with matplotlib: full Unicode, no download."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def _clean(text: str | None) -> str:
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


class _Document(FPDF):
    def __init__(self, running_head: str, page_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._running_head = running_head
        self._page_label = page_label  # with {page} still to fill; {nb} is fpdf's page total

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 6, self._fitted_head(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_BLACK)
        self.ln(2)

    def _fitted_head(self) -> str:
        """The running head, cut short with an ellipsis if a long name would run off the page."""
        head = self._running_head
        if self.get_string_width(head) <= self.epw:
            return head
        while head and self.get_string_width(head + "…") > self.epw:
            head = head[: int(len(head) * 0.95)]
        return head.rstrip() + "…"

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 10, self._page_label.replace("{page}", str(self.page_no())), align="C")
        self.set_text_color(*_BLACK)


def render_portfolio(
    portfolio: Portfolio,
    *,
    images: Mapping[str, bytes],
    language: str,
    generated_at: datetime,
) -> bytes:
    """The portfolio PDF: a cover page, the approval sheet, then the record. A photo missing
    from `images`, or one that cannot be decoded, is a labelled frame, never an error."""
    return _Renderer(portfolio, images, translator(language), generated_at).render()


class _Renderer:
    def __init__(
        self,
        portfolio: Portfolio,
        images: Mapping[str, bytes],
        t: Translator,
        generated_at: datetime,
    ) -> None:
        self.p = portfolio
        self.images = images
        # Every heading that names the project says the cohort's term: {term}, {Term}, ...
        self.t = with_term(t, portfolio.project_term)
        self.lang = t.language
        self.zone = portfolio.timezone
        self.generated_at = generated_at
        self.pdf = self._document()

    def _document(self) -> _Document:
        t = self.t
        # "{page}" is ours to fill per page; "{nb}" is replaced by fpdf once the total is known.
        page_label = t("portfolio.pdf.page", page="{page}", pages="{nb}")
        pdf = _Document(
            t("portfolio.pdf.running_head", name=_clean(self.p.name), cohort=self.p.cohort_name),
            page_label,
        )
        regular, bold = font_paths()
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
        pdf.set_auto_page_break(auto=True, margin=20)
        pdf.set_margins(15, 15, 15)
        return pdf

    # --- helpers ---------------------------------------------------------------------------

    def _at(self, at: datetime) -> str:
        return format_datetime(at, self.zone, self.lang)

    def _text(self, text: str, *, size: float = 10, bold: bool = False, indent: float = 0) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(
            pdf.epw - indent,
            LINE_MM if size <= 10 else size * 0.5,
            _clean(text) or "-",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def _keep(self, height: float) -> None:
        """Start a new page unless `height` mm still fit: a heading or a note's author line
        never sits alone at the bottom of a page."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def _heading(self, text: str, *, level: int = 0) -> None:
        pdf = self.pdf
        self._keep(30)
        pdf.ln(3)
        if level == 0:
            pdf.start_section(_clean(text), level=0)
        self._text(text, size=14 if level == 0 else 11, bold=True)
        pdf.ln(1)

    # --- sections --------------------------------------------------------------------------

    def render(self) -> bytes:
        pdf = self.pdf
        t = self.t
        pdf.set_title(t("portfolio.pdf.title") + " - " + self.p.name)
        pdf.set_author(self.p.name)
        pdf.set_creator("properbot")
        pdf.set_lang(self.lang)
        pdf.set_creation_date(self.generated_at)
        # A cover page, the approval sheet to sign, then the record flowing from page 3.
        self._cover()
        self._approval_sheet()
        pdf.add_page()
        self._project()
        self._milestones()
        self._reports()
        self._sign_offs()
        return bytes(pdf.output())

    def _cover(self) -> None:
        """A full title page, as Indonesian training reports open: title and project at the
        top, the author in the middle, cohort, organizer and year at the foot. Very long
        titles or names are set smaller until the cover fits on its one page."""
        for scale in COVER_SCALES:
            trial = self._document()
            self._cover_page(trial, scale)
            if trial.page == 1:
                break
        self._cover_page(self.pdf, scale)

    def _cover_page(self, pdf: FPDF, scale: float) -> None:
        t, p = self.t, self.p
        pdf.add_page()
        pdf.set_y(COVER_TOP_MM)
        self._centered(t("portfolio.pdf.title").upper(), size=20 * scale, bold=True, pdf=pdf)
        pdf.ln(6 * scale)
        self._centered(self._project_title(), size=14 * scale, bold=True, pdf=pdf)
        pdf.set_y(max(pdf.get_y() + 15 * scale, COVER_AUTHOR_MM))
        self._centered(t("portfolio.cover.by"), size=11 * scale, pdf=pdf)
        pdf.ln(2 * scale)
        self._centered(p.name, size=15 * scale, bold=True, pdf=pdf)
        pdf.ln(5 * scale)
        self._fields(
            [
                ("portfolio.pdf.field.nip", self._nip()),
                *([("portfolio.pdf.field.rank", p.rank)] if p.rank else []),
                ("portfolio.pdf.field.position", p.position),
                ("portfolio.pdf.field.agency", p.agency),
            ],
            width=COVER_TABLE_MM,
            size=10 * scale,
            pdf=pdf,
        )
        pdf.set_y(max(pdf.get_y() + 15 * scale, COVER_FOOT_MM))
        self._centered(self._cohort(), size=13 * scale, bold=True, pdf=pdf)
        if p.organizer:
            self._centered(p.organizer, size=12 * scale, bold=True, pdf=pdf)
        self._centered(str(self._year()), size=12 * scale, bold=True, pdf=pdf)
        pdf.set_y(max(pdf.get_y() + 8 * scale, COVER_NOTE_MM))
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(
            pdf.epw,
            4,
            t("portfolio.pdf.generated", at=self._at(self.generated_at))
            + "\n"
            + t("portfolio.pdf.zone_note", zone=zone_label(self.zone, self.generated_at)),
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(*_BLACK)

    def _approval_sheet(self) -> None:
        """The lembar persetujuan: who and what is approved, then signature blocks for the
        mentor and the coach side by side and the participant below, with a place and date
        line to fill in by hand."""
        pdf, t, p = self.pdf, self.t, self.p
        pdf.add_page()
        pdf.start_section(_clean(t("portfolio.approval.title")), level=0)
        pdf.ln(2)
        self._centered(t("portfolio.approval.title"), size=15, bold=True)
        pdf.ln(1)
        self._centered(t("portfolio.pdf.title").upper(), size=12, bold=True)
        self._centered(self._project_title(), size=12, bold=True)
        pdf.ln(6)
        self._fields(
            [
                ("portfolio.pdf.field.name", p.name),
                ("portfolio.pdf.field.nip", self._nip()),
                *([("portfolio.pdf.field.rank", p.rank)] if p.rank else []),
                ("portfolio.pdf.field.position", p.position),
                ("portfolio.pdf.field.agency", p.agency),
                ("portfolio.pdf.field.cohort", self._cohort()),
            ]
        )
        pdf.ln(5)
        self._text(t("portfolio.approval.statement"))
        pdf.ln(8)
        # The date line and "Menyetujui," stay on the page of the first signatures.
        self._keep(SIGNATURE_BLOCK_MM + 25)
        half = pdf.epw / 2
        pdf.set_font(FONT, size=10)
        pdf.set_x(pdf.l_margin + half)
        pdf.multi_cell(
            half,
            LINE_MM,
            t("portfolio.approval.place_date", year=self._year()),
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(4)
        self._centered(t("portfolio.approval.approved_by"), size=10)
        pdf.ln(2)
        mentors = [a for a in p.advisors if a.kind is AdvisorKind.MENTOR]
        coaches = [a for a in p.advisors if a.kind is AdvisorKind.COACH]
        # No advisor on record still leaves a block to sign, with blank name and NIP lines.
        blocks: list[tuple[str, _Signer]] = [
            (t("portfolio.approval.mentor"), _Signer(a.name, a.nip, a.rank)) for a in mentors
        ] or [(t("portfolio.approval.mentor"), _Signer(None, None, None))]
        blocks += [
            (t("portfolio.approval.coach"), _Signer(a.name, a.nip, a.rank)) for a in coaches
        ] or [(t("portfolio.approval.coach"), _Signer(None, None, None))]
        for i in range(0, len(blocks), 2):
            self._signature_row(blocks[i : i + 2])
            pdf.ln(4)
        pdf.ln(4)
        self._signature_row([(t("portfolio.approval.participant"), _Signer(p.name, p.nip, p.rank))])

    def _signature_row(self, blocks: list[tuple[str, _Signer]]) -> None:
        """One or two signature blocks side by side; a single one is centred."""
        pdf = self.pdf
        self._keep(SIGNATURE_BLOCK_MM)
        width = pdf.epw / 2
        top = pdf.get_y()
        bottom = top
        for n, (label, signer) in enumerate(blocks):
            offset = width / 2 if len(blocks) == 1 else width * n
            bottom = max(bottom, self._signature(pdf.l_margin + offset, top, width, label, signer))
        pdf.set_xy(pdf.l_margin, bottom)

    def _signature(self, x: float, y: float, width: float, label: str, signer: _Signer) -> float:
        """A block: the role, room to sign, the name underlined, rank and NIP; returns its
        bottom. A name or NIP not on record is a dotted line to write on."""
        pdf, t = self.pdf, self.t
        inner = width - 6

        def line(text: str, style: str = "") -> None:
            pdf.set_font(FONT, style, 10)
            pdf.set_x(x + 3)
            pdf.multi_cell(inner, LINE_MM, _clean(text), align="C", new_x=XPos.LEFT)

        pdf.set_xy(x + 3, y)
        line(label)
        pdf.set_y(pdf.get_y() + SIGNATURE_SPACE_MM)
        if signer.name:
            line(signer.name, "BU")
        else:
            line(t("portfolio.approval.name_blank"))
        if signer.rank:
            line(signer.rank)
        nip = _format_nip(signer.nip, self.generated_at)
        line(t("portfolio.approval.nip", nip=nip) if nip else t("portfolio.approval.nip_blank"))
        return pdf.get_y()

    def _project(self) -> None:
        p = self.p
        self._heading(self.t("portfolio.pdf.section.project"))
        mentors = [a.name for a in p.advisors if a.kind is AdvisorKind.MENTOR]
        coaches = [a.name for a in p.advisors if a.kind is AdvisorKind.COACH]
        self._fields(
            [
                (
                    "portfolio.pdf.field.project",
                    p.project_title or self.t("portfolio.pdf.no_title"),
                ),
                ("portfolio.pdf.field.problem", p.problem),
                ("portfolio.pdf.field.goal", p.goal),
                ("portfolio.pdf.field.mentor", ", ".join(mentors)),
                ("portfolio.pdf.field.coach", ", ".join(coaches)),
                ("portfolio.pdf.field.cohort", self._cohort()),
                ("portfolio.pdf.field.organizer", p.organizer),
            ]
        )
        self.pdf.ln(2)

    def _fields(
        self,
        rows: list[tuple[str, str | None]],
        *,
        width: float | None = None,
        size: float = 10,
        pdf: FPDF | None = None,
    ) -> None:
        """Label and value pairs, two borderless columns; centred when narrower than the page."""
        pdf = pdf or self.pdf
        t = self.t
        total = width or pdf.epw
        pdf.set_font(FONT, size=size)
        with pdf.table(
            width=total,
            col_widths=(FIELD_LABEL_MM, total - FIELD_LABEL_MM),
            align="CENTER",
            first_row_as_headings=False,
            borders_layout="NONE",
            text_align="LEFT",
            line_height=LINE_MM * size / 10,
            padding=(1, 1, 1, 1),
        ) as table:
            for key, value in rows:
                row = table.row()
                row.cell(t(key), style=FontFace(emphasis="BOLD"))
                row.cell(_clean(value) or "-")

    def _centered(
        self, text: str, *, size: float, bold: bool = False, pdf: FPDF | None = None
    ) -> None:
        pdf = pdf or self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.multi_cell(
            pdf.epw,
            size * 0.5,
            _clean(text) or "-",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def _project_title(self) -> str:
        if self.p.project_title:
            return self.t("portfolio.cover.project", title=_clean(self.p.project_title))
        return self.t("portfolio.pdf.no_title")

    def _cohort(self) -> str:
        p = self.p
        if p.programme and p.programme not in p.cohort_name:
            return f"{p.cohort_name} ({p.programme})"
        return p.cohort_name

    def _year(self) -> int:
        return self.p.cohort_year or self.generated_at.astimezone(self.zone).year

    def _nip(self) -> str | None:
        return _format_nip(self.p.nip, self.generated_at)

    def _milestones(self) -> None:
        pdf, t = self.pdf, self.t
        self._heading(t("portfolio.pdf.section.milestones"))
        if not self.p.milestones:
            self._text(t("portfolio.pdf.no_milestones"))
            return
        pdf.set_font(FONT, size=8)
        with pdf.table(
            col_widths=(9, 39, 18, 27, 34, 22, 31),
            text_align="LEFT",
            line_height=4,
            padding=(1, 1, 1, 1),
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        ) as table:
            head = table.row()
            for key in ("no", "title", "horizon", "due", "output", "status", "approval"):
                head.cell(t(f"portfolio.pdf.col.{key}"))
            for n, m in enumerate(self.p.milestones, start=1):
                row = table.row()
                row.cell(str(n))
                row.cell(_clean(m.title))
                row.cell(t(f"horizon.{m.horizon.value}"))
                row.cell(format_date(m.due_on, None, self.lang))
                row.cell(_clean(m.expected_output) or "-")
                row.cell(
                    t(
                        "portfolio.pdf.status_progress",
                        status=t(f"milestone.status.{m.status.value}"),
                        percent=m.progress,
                    )
                )
                if m.approved_at is not None:
                    approval = t(
                        "portfolio.pdf.approval_cell",
                        name=m.approved_by or "-",
                        at=self._at(m.approved_at),
                    )
                else:
                    approval = "-"
                row.cell(_clean(approval))
        pdf.ln(2)

    def _reports(self) -> None:
        t = self.t
        self._heading(t("portfolio.pdf.section.reports"))
        if not self.p.reports:
            self._text(t("portfolio.pdf.no_reports"))
            return
        for n, report in enumerate(self.p.reports, start=1):
            self._report(n, report)

    def _report(self, n: int, report: ReportEntry) -> None:
        pdf, t = self.pdf, self.t
        self._heading(
            t("portfolio.pdf.report.heading", n=n, milestone=report.milestone_title), level=1
        )
        pdf.set_text_color(*_GREY)
        self._text(
            t(
                "portfolio.pdf.report.meta",
                at=self._at(report.submitted_at),
                percent=report.progress,
                status=t(f"portfolio.pdf.report.status.{report.status.value}"),
            ),
            size=9,
        )
        if report.corrected_at is not None:
            corrected = self._at(report.corrected_at)
            self._text(t("portfolio.pdf.report.corrected", at=corrected), size=9)
        pdf.set_text_color(*_BLACK)
        pdf.ln(1)
        self._text(report.text)
        for label, value in (
            ("portfolio.pdf.report.obstacles", report.obstacles),
            ("portfolio.pdf.report.next_steps", report.next_steps),
        ):
            if _clean(value):
                pdf.ln(1)
                self._text(t(label), bold=True, size=10)
                self._text(value or "")
        pdf.ln(2)
        self._keep(15)
        self._text(t("portfolio.pdf.evidence.heading"), bold=True, size=10)
        if not report.evidence:
            self._text(t("portfolio.pdf.evidence.none"), indent=INDENT_MM)
        for item in report.evidence:
            self._evidence(item)
        pdf.ln(2)
        self._keep(15)
        self._text(t("portfolio.pdf.thread.heading"), bold=True, size=10)
        if not report.thread:
            self._text(t("portfolio.pdf.thread.none"), indent=INDENT_MM)
        for note in report.thread:
            self._note(note, 1)
        pdf.ln(4)

    def _evidence(self, item: EvidenceRef) -> None:
        t = self.t
        caption = _clean(item.caption)
        if item.kind is EvidenceKind.PHOTO:
            data = self.images.get(item.ref or "")
            image = _decode(data) if data else None
            if image is None:
                self._photo_frame(item)
                if not _clean(item.file_name):
                    caption = ""  # the frame's label already names the photo by its caption
            else:
                self._image(image)
            if caption:
                self._text(
                    t("portfolio.pdf.evidence.caption", caption=caption), size=9, indent=INDENT_MM
                )
        elif item.kind is EvidenceKind.DOCUMENT:
            name = _clean(item.file_name) or t("portfolio.pdf.evidence.unnamed")
            if caption:
                line = t("portfolio.pdf.evidence.document_caption", name=name, caption=caption)
            else:
                line = t("portfolio.pdf.evidence.document", name=name)
            self._text(line, indent=INDENT_MM, size=9)
        else:
            url = _clean(item.url) or caption or "-"
            self._text(t("portfolio.pdf.evidence.link", url=url), indent=INDENT_MM, size=9)

    def _image(self, image: _Photo) -> None:
        pdf = self.pdf
        ratio = image.height / image.width
        width = pdf.epw - INDENT_MM
        height = width * ratio
        if height > MAX_IMAGE_HEIGHT_MM:
            height = MAX_IMAGE_HEIGHT_MM
            width = height / ratio
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        x = pdf.l_margin + INDENT_MM + (pdf.epw - INDENT_MM - width) / 2
        pdf.image(io.BytesIO(image.jpeg), x=x, y=pdf.get_y(), w=width, h=height)
        pdf.set_y(pdf.get_y() + height + 1.5)

    def _photo_frame(self, item: EvidenceRef) -> None:
        """A thin box where the photo would be, saying which photo could not be shown."""
        pdf, t = self.pdf, self.t
        name = _clean(item.file_name) or _clean(item.caption)
        if len(name) > FRAME_LABEL_CHARS:
            name = name[: FRAME_LABEL_CHARS - 1].rstrip() + "…"
        if name:
            label = t("portfolio.frame.photo_unavailable", name=name)
        else:
            label = t("portfolio.frame.photo_unavailable_unnamed")
        x = pdf.l_margin + INDENT_MM
        width = pdf.epw - INDENT_MM
        inner = width - 2 * FRAME_PADDING_MM
        pdf.set_font(FONT, size=9)
        measured = pdf.multi_cell(
            inner, LINE_MM, label, align="C", dry_run=True, output=MethodReturnValue.HEIGHT
        )
        assert isinstance(measured, float | int)  # HEIGHT asks for the height alone
        text_height = float(measured)
        height = max(FRAME_HEIGHT_MM, text_height + 2 * FRAME_PADDING_MM)
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        pdf.set_draw_color(*_GREY)
        pdf.set_line_width(0.3)
        pdf.rect(x, top, width, height)
        pdf.set_text_color(*_GREY)
        pdf.set_xy(x + FRAME_PADDING_MM, top + (height - text_height) / 2)
        pdf.multi_cell(inner, LINE_MM, label, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*_BLACK)
        pdf.set_draw_color(*_BLACK)
        pdf.set_line_width(0.2)
        pdf.set_y(top + height + 1.5)

    def _note(self, note: ThreadNote, depth: int) -> None:
        t = self.t
        indent = INDENT_MM * min(depth, MAX_INDENT_LEVELS)
        kind = t(f"portfolio.pdf.note.kind.{note.kind.value}")
        at = self._at(note.at)
        if note.author_role is not None:
            header = t(
                "portfolio.pdf.note.header",
                name=note.author_name,
                role=t(_role_key(note.author_role)),
                kind=kind,
                at=at,
            )
        else:
            header = t("portfolio.pdf.note.header_no_role", name=note.author_name, kind=kind, at=at)
        self._keep(12)
        self._text(header, bold=True, size=9, indent=indent)
        body = note.text or t(f"portfolio.pdf.note.empty.{note.kind.value}")
        self._text(body, size=9, indent=indent)
        self.pdf.ln(1)
        for reply in note.replies:
            self._note(reply, depth + 1)

    def _sign_offs(self) -> None:
        pdf, t = self.pdf, self.t
        self._heading(t("portfolio.pdf.section.signoffs"))
        if not self.p.sign_offs:
            self._text(t("portfolio.pdf.signoffs.none"))
            return
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=(10, 70, 55, 45),
            text_align="LEFT",
            line_height=LINE_MM,
            padding=(1, 1, 1, 1),
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        ) as table:
            head = table.row()
            for key in ("no", "title", "approver", "approved_at"):
                head.cell(t(f"portfolio.pdf.col.{key}"))
            for n, s in enumerate(self.p.sign_offs, start=1):
                row = table.row()
                row.cell(str(n))
                row.cell(_clean(s.milestone_title))
                if s.approver_role is not None:
                    who = t(
                        "portfolio.pdf.approver",
                        name=s.approver_name,
                        role=t(_role_key(s.approver_role)),
                    )
                else:
                    who = s.approver_name
                row.cell(_clean(who))
                row.cell(self._at(s.at))


def file_slug(name: str) -> str:
    """A file-name-safe form of a person's name: "Dr. Ir. Budi" -> "dr-ir-budi"."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60] or "peserta"


def _role_key(role: Role) -> str:
    return role.message_key


def _format_nip(raw: str | None, at: datetime) -> str | None:
    """A stored NIP grouped as written, "19860926 201505 1 001"; as stored if it is odd."""
    if not raw:
        return None
    try:
        return parse_nip(raw, today=at.date()).formatted
    except InvalidNip:
        return raw


@dataclass(frozen=True)
class _Signer:
    name: str | None
    nip: str | None
    rank: str | None


@dataclass(frozen=True)
class _Photo:
    jpeg: bytes
    width: int
    height: int


def _decode(data: bytes) -> _Photo | None:
    """The photo ready to embed: upright, at most MAX_IMAGE_PIXELS, as JPEG (which the PDF
    keeps as is; raw pixels would make a phone photo several megabytes); None if unreadable."""
    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
        image = ImageOps.exif_transpose(opened)
        if "A" in image.getbands() or "transparency" in image.info:
            # Transparent pixels would turn black in a plain RGB conversion: put them on white.
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS))
        if image.width < 1 or image.height < 1:
            return None
        out = io.BytesIO()
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None
    return _Photo(out.getvalue(), image.width, image.height)
