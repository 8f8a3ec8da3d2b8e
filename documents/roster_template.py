"""The roster template: an XLSX workbook an organizer fills in and imports as it is.

The first sheet has a title, the column headings in the chosen language (read back by
domain/cohort_csv.py, which knows them all), two example rows marked in the No column so the
import skips them, NIP columns formatted as text so Excel cannot turn an 18-digit NIP into
1.97203E+17, and drop-down lists for role and time zone; the second sheet explains each
column.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from domain.enums import Channel
from domain.i18n import Translator, translator

# The template's columns, in order ("no" first, as Indonesian rosters number their rows).
TEMPLATE_COLUMNS: tuple[str, ...] = (
    "no",
    "name",
    "nip",
    "role",
    "rank",
    "position",
    "agency",
    "timezone",
    "mentor_nip",
    "coach_nip",
    "project_title",
    "seminar_group",
    "phone",
    "channel",
)
# Text cells, so a spreadsheet keeps every digit of a NIP and the leading zero of 0812….
TEXT_COLUMNS = frozenset({"nip", "mentor_nip", "coach_nip", "phone"})
# The sheet rows: a title, a hint, the headings, then people.
TITLE_ROW, HINT_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1
# How far down the text format and the drop-down lists reach: a large cohort with its
# mentors, coaches, examiners and organizers, with room to spare.
FORMATTED_ROWS = 500
_REQUIRED = {"name": "yes", "nip": "yes", "role": "yes", "mentor_nip": "participants"}
_WIDTHS = {
    "no": 8,
    "nip": 24,
    "mentor_nip": 24,
    "coach_nip": 24,
    "timezone": 12,
    "phone": 18,
    "channel": 14,
}
_ZONES = ("WIB", "WITA", "WIT")
_EXAMPLE_MENTOR_NIP = "19660812 199203 1 004"
_EXAMPLE_PARTICIPANT_NIP = "19720318 199803 2 005"
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_EXAMPLE = Font(italic=True, color="808080")
_HEADING_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(vertical="top", wrap_text=True)


def render_roster_template(language: str) -> bytes:
    """The template workbook's bytes, headings, examples and guide in `language`."""
    t = translator(language)
    workbook = Workbook()
    roster = workbook.active
    assert roster is not None  # a new workbook always has one sheet
    roster.title = t("roster.template.sheet.roster")
    _roster_sheet(roster, t)
    _guide_sheet(workbook.create_sheet(t("roster.template.sheet.guide")), t)
    workbook.properties.title = t("roster.template.title")
    workbook.properties.creator = "properbot"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _roster_sheet(sheet: Worksheet, t: Translator) -> None:
    last = get_column_letter(len(TEMPLATE_COLUMNS))
    sheet["A1"] = t("roster.template.title")
    sheet["A1"].font = _TITLE
    sheet.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    sheet[f"A{HINT_ROW}"] = t("roster.template.hint")
    sheet.merge_cells(f"A{HINT_ROW}:{last}{HINT_ROW}")
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(HEADER_ROW, index, t(f"roster.template.header.{column}"))
        cell.font, cell.fill = _BOLD, _HEADING_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS.get(column, 30)
        if column in TEXT_COLUMNS:
            # The column's own style covers rows typed beyond the formatted ones.
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + FORMATTED_ROWS):
                sheet.cell(row, index).number_format = "@"
    for offset, example in enumerate(_examples(t)):
        for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
            cell = sheet.cell(FIRST_DATA_ROW + offset, index, example.get(column))
            cell.font = _EXAMPLE
    _drop_down(sheet, "role", t("roster.template.roles"))
    _drop_down(sheet, "timezone", ",".join(_ZONES))
    _drop_down(sheet, "channel", ",".join(channel.value for channel in Channel))
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"


def _examples(t: Translator) -> list[dict[str, str]]:
    marker = t("roster.template.example.marker")
    agency = t("roster.template.example.agency")
    mentor = {
        "no": marker,
        "name": t("roster.template.example.mentor_name"),
        "nip": _EXAMPLE_MENTOR_NIP,
        "role": t("roster.template.example.role_mentor"),
        "rank": t("roster.template.example.mentor_rank"),
        "position": t("roster.template.example.mentor_position"),
        "agency": agency,
        "timezone": "WIB",
    }
    participant = {
        "no": marker,
        "name": t("roster.template.example.participant_name"),
        "nip": _EXAMPLE_PARTICIPANT_NIP,
        "role": t("roster.template.example.role_participant"),
        "rank": t("roster.template.example.participant_rank"),
        "position": t("roster.template.example.participant_position"),
        "agency": agency,
        "timezone": "WIB",
        "mentor_nip": _EXAMPLE_MENTOR_NIP,
        "project_title": t("roster.template.example.project_title"),
        "seminar_group": "1",
    }
    return [mentor, participant]


def _drop_down(sheet: Worksheet, column: str, choices: str) -> None:
    """A list to pick from; typing something else is still allowed (other spellings parse)."""
    letter = get_column_letter(TEMPLATE_COLUMNS.index(column) + 1)
    validation = DataValidation(type="list", formula1=f'"{choices}"', showErrorMessage=False)
    validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + FORMATTED_ROWS - 1}")
    sheet.add_data_validation(validation)


def _guide_sheet(sheet: Worksheet, t: Translator) -> None:
    headings = ("column", "required", "content")
    for index, heading in enumerate(headings, start=1):
        cell = sheet.cell(1, index, t(f"roster.template.guide.heading.{heading}"))
        cell.font, cell.fill = _BOLD, _HEADING_FILL
    for row, column in enumerate(TEMPLATE_COLUMNS, start=2):
        required = _REQUIRED.get(column, "no")
        sheet.cell(row, 1, t(f"roster.template.header.{column}")).font = _BOLD
        sheet.cell(row, 2, t(f"roster.template.guide.required.{required}"))
        sheet.cell(row, 3, t(f"roster.template.guide.{column}")).alignment = _WRAP
    notes_row = len(TEMPLATE_COLUMNS) + 3
    sheet.cell(notes_row, 1, t("roster.template.guide.notes")).alignment = _WRAP
    sheet.merge_cells(f"A{notes_row}:C{notes_row}")
    sheet.row_dimensions[notes_row].height = 75
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 90
