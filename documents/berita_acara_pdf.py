"""The berita acara (minutes) of a seminar as an A4 PDF: who presented, every examiner's scores
per criterion, the weighted totals and comments, and blocks to sign.

Pure: takes the gathered `SeminarScores`, a language and the moment it is made; returns the
PDF bytes, so it can run in a worker thread. Fonts as in the portfolio (DejaVu: full Unicode).
Only submitted sheets print scores: a draft is the examiner's own until they send it.
"""

from __future__ import annotations

import re
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from documents.portfolio_pdf import FONT, font_paths
from domain.i18n import Translator, format_datetime, translator
from domain.nip import InvalidNip, parse_nip
from domain.scoring import format_score
from services.scoring import PresenterScores, ScoreItem, SeminarScores

_GREY = (110, 110, 110)
_BLACK = (0, 0, 0)
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
# No, criterion, weight; the examiners share what is left of the page's width.
_NUMBER_MM, _WEIGHT_MM = 9.0, 16.0
_SIGNATURE_SPACE_MM = 22.0
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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


def _clean(text: str | None) -> str:
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def render_berita_acara(scores: SeminarScores, *, language: str, generated_at: datetime) -> bytes:
    """The berita acara PDF of one seminar."""
    t = translator(language)
    pdf = _Document(t("scores.pdf.page", page="{page}", pages="{nb}"))
    regular, bold = font_paths()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    _heading(pdf, t, scores)
    for number, presenter in enumerate(scores.presenters, start=1):
        _presenter(pdf, t, scores, number, presenter, generated_at)
    _closing(pdf, t, scores, generated_at)
    _signatures(pdf, t, scores)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, *, size: float = 10, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, _clean(text) or "-", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, t: Translator, scores: SeminarScores) -> None:
    seminar = scores.seminar
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, t("scores.pdf.title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(
        0,
        6,
        t(f"seminar.kind.{seminar.kind.value}"),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(
        0,
        5,
        _clean(" · ".join(p for p in (seminar.cohort_name, scores.organizer) if p)),
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(4)
    examiners = ", ".join(scores.examiners) or "-"
    presenters = len(scores.presenters)
    _line(
        pdf,
        t.plural(
            "scores.pdf.intro",
            presenters,
            at=format_datetime(seminar.starts_at, seminar.zone, t.language),
            where=seminar.where or "-",
            kind=t(f"seminar.kind.inline.{seminar.kind.value}"),
            cohort=seminar.cohort_name,
        ),
    )
    pdf.ln(1)
    _line(pdf, t("scores.pdf.examiners", names=examiners))
    pdf.ln(3)


def _items(presenter: PresenterScores, scores: SeminarScores) -> list[ScoreItem]:
    """The criteria rows: those of a sheet begun for the presenter, else the cohort's."""
    for sheet in presenter.sheets:
        if sheet.status is not None:
            return list(sheet.items)
    return [
        ScoreItem(position=i, criterion=c.name, weight=c.weight, score=None)
        for i, c in enumerate(scores.criteria, start=1)
    ]


def _presenter(
    pdf: FPDF,
    t: Translator,
    scores: SeminarScores,
    number: int,
    presenter: PresenterScores,
    generated_at: datetime,
) -> None:
    if pdf.get_y() + 60 > pdf.page_break_trigger:
        pdf.add_page()
    lang = t.language
    _line(pdf, t("scores.pdf.presenter", number=number, name=presenter.name), size=11, bold=True)
    if presenter.nip:
        _line(pdf, t("scores.pdf.nip", nip=_nip(presenter.nip, generated_at)))
    _line(
        pdf,
        t(
            "scores.pdf.project",
            term=t(scores.term.message_key),
            title=presenter.project_title or "-",
        ),
    )
    pdf.ln(2)
    sheets = presenter.sheets
    items = _items(presenter, scores)
    rest = pdf.epw - _NUMBER_MM - _WEIGHT_MM
    per_examiner = min(30.0, rest / (len(sheets) + 2)) if sheets else 0.0
    criterion_mm = rest - per_examiner * len(sheets)
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=(_NUMBER_MM, criterion_mm, _WEIGHT_MM, *([per_examiner] * len(sheets))),
        text_align="LEFT",
        line_height=4.5,
        padding=(1, 1, 1, 1),
        headings_style=_HEADINGS,
    ) as table:
        head = table.row()
        head.cell(t("scores.pdf.col.no"))
        head.cell(t("scores.pdf.col.criterion"))
        head.cell(t("scores.pdf.col.weight"))
        for sheet in sheets:
            head.cell(sheet.examiner_name)
        for item in items:
            row = table.row()
            row.cell(str(item.position))
            row.cell(_clean(item.criterion))
            row.cell(f"{item.weight}%")
            for sheet in sheets:
                score = next((i.score for i in sheet.items if i.position == item.position), None)
                row.cell(str(score) if sheet.submitted and score is not None else "-")
        total = table.row()
        total.cell("")
        total.cell(t("scores.pdf.total"), style=FontFace(emphasis="BOLD"))
        total.cell("100%")
        for sheet in sheets:
            total.cell(
                format_score(sheet.total, lang) if sheet.submitted else t("scores.pdf.not_sent"),
                style=FontFace(emphasis="BOLD"),
            )
    pdf.ln(1)
    if len(sheets) > 1:
        _line(pdf, t("scores.pdf.final", total=format_score(presenter.final, lang)), bold=True)
    for sheet in sheets:
        if sheet.submitted and sheet.comment:
            _line(pdf, t("scores.pdf.comment", name=sheet.examiner_name, text=sheet.comment))
    pdf.ln(4)


def _closing(pdf: FPDF, t: Translator, scores: SeminarScores, generated_at: datetime) -> None:
    seminar = scores.seminar
    if seminar.released_at is not None:
        text = t(
            "scores.pdf.released", at=format_datetime(seminar.released_at, seminar.zone, t.language)
        )
    else:
        text = t("scores.pdf.not_released")
    _line(pdf, text)
    pdf.set_text_color(*_GREY)
    _line(
        pdf,
        t("scores.pdf.generated", at=format_datetime(generated_at, seminar.zone, t.language)),
        size=8,
    )
    pdf.set_text_color(*_BLACK)
    pdf.ln(4)


def _signatures(pdf: FPDF, t: Translator, scores: SeminarScores) -> None:
    """One block per examiner and one for the organizer: the role, room to sign, the name."""
    blocks = [(t("scores.pdf.sign.examiner"), name) for name in scores.examiners]
    blocks.append((t("scores.pdf.sign.organizer"), scores.organizer or ""))
    if pdf.get_y() + _SIGNATURE_SPACE_MM + 20 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FONT, size=9)
    per_row = 3
    for start in range(0, len(blocks), per_row):
        chunk = blocks[start : start + per_row]
        with pdf.table(
            width=pdf.epw,
            col_widths=tuple([pdf.epw / per_row] * len(chunk)),
            first_row_as_headings=False,
            borders_layout="NONE",
            text_align="CENTER",
            line_height=4.5,
            align="LEFT",
        ) as table:
            roles = table.row()
            for role, _ in chunk:
                roles.cell(role)
            space = table.row(min_height=_SIGNATURE_SPACE_MM)
            for _ in chunk:
                space.cell("")
            names = table.row()
            for _, name in chunk:
                names.cell(_clean(name) or "(................................)")
        pdf.ln(4)


def _nip(nip: str, generated_at: datetime) -> str:
    try:
        return parse_nip(nip, today=generated_at.date()).formatted
    except InvalidNip:
        return nip


def file_name(scores: SeminarScores, language: str) -> str:
    """ "berita-acara-seminar-12.pdf" / "minutes-seminar-12.pdf"."""
    return translator(language)("scores.ba.file_name", id=scores.seminar.id)
