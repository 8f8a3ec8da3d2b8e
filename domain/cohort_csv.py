"""Parsing and validating a cohort's people from an organizer's roster (all or nothing).

The rows come from a CSV file here or from an XLSX sheet (domain/roster_xlsx.py); both go
through `parse_cohort_records`, so they share every check and every message.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from domain.enums import Channel
from domain.i18n import Translator
from domain.nip import NIP_LENGTH, InvalidNip, Nip, normalize_nip, parse_nip
from domain.phone import InvalidPhone, national_format, normalize_phone
from domain.roles import Role, UnknownRole, parse_role
from domain.timezones import UnknownZone, parse_zone

COLUMNS: tuple[str, ...] = (
    "role",
    "name",
    "nip",
    "agency",
    "position",
    "timezone",
    "mentor_nip",
    "coach_nip",
    "project_title",
    "seminar_group",
    "rank",
    "phone",
    "channel",
)
# Columns a roster may carry that the import reads no data from. "no" is the row number
# Indonesian rosters start with (a row numbered "Contoh"/"Example" is the template's example
# and is skipped); mentor and coach names are for the reader, the NIP columns are what links
# people.
IGNORED_COLUMNS: tuple[str, ...] = ("no", "mentor_name", "coach_name")
# Header names people use for a column, besides its own name. Compared after case folding and
# with punctuation and underscores as spaces: "Pangkat/Gol." matches "pangkat gol".
ALIASES: dict[str, str] = {
    "seminar group": "seminar_group",
    "kelompok": "seminar_group",
    "kelompok_seminar": "seminar_group",
    "kelompok seminar": "seminar_group",
    # Pangkat/golongan, written as Indonesian rosters head it.
    "pangkat": "rank",
    "golongan": "rank",
    "pangkat_golongan": "rank",
    "pangkat golongan": "rank",
    "pangkat/golongan": "rank",
    "pangkat/gol.": "rank",
    "pangkat/gol": "rank",
    "gol": "rank",
    "gol.": "rank",
    "gol/ruang": "rank",
    "pangkat/gol. ruang": "rank",
    "pangkat/golongan ruang": "rank",
    # The Indonesian headings of a roster, and the English ones of the English template.
    "peran": "role",
    "nama": "name",
    "nama lengkap": "name",
    "nama lengkap dan gelar": "name",
    "nama dan gelar": "name",
    "nama (dengan gelar)": "name",
    "full name": "name",
    "nip peserta": "nip",
    "instansi": "agency",
    "unit kerja": "agency",
    "instansi/unit kerja": "agency",
    "jabatan": "position",
    "zona waktu": "timezone",
    "time zone": "timezone",
    "zona": "timezone",
    "nip mentor": "mentor_nip",
    "mentor nip": "mentor_nip",
    "nip coach": "coach_nip",
    "coach nip": "coach_nip",
    "judul proyek": "project_title",
    "judul proyek perubahan": "project_title",
    "judul aksi perubahan": "project_title",
    "proyek perubahan": "project_title",
    "aksi perubahan": "project_title",
    "project title": "project_title",
    # Read and ignored (IGNORED_COLUMNS).
    "no": "no",
    "no.": "no",
    "nomor": "no",
    "no urut": "no",
    "number": "no",
    # The mobile number invitations go to on WhatsApp (normalized to E.164).
    "no_hp": "phone",
    "no. hp": "phone",
    "no hp": "phone",
    "nomor hp": "phone",
    "hp": "phone",
    "no. telp": "phone",
    "telepon": "phone",
    "no. hp/wa": "phone",
    "nomor whatsapp": "phone",
    "phone": "phone",
    "phone number": "phone",
    "mobile number": "phone",
    "mobile": "phone",
    "nomor telepon": "phone",
    # The channel a person is invited on (telegram or whatsapp).
    "kanal": "channel",
    "saluran": "channel",
    "nama mentor": "mentor_name",
    "mentor name": "mentor_name",
    "nama coach": "coach_name",
    "coach name": "coach_name",
}
# What a header cell is called in an "unknown column" message: the file's own words.
_SHOWN_NAMES: dict[str, str] = {
    "role": "Peran",
    "name": "Nama",
    "nip": "NIP",
    "agency": "Instansi",
    "position": "Jabatan",
    "timezone": "Zona Waktu",
    "mentor_nip": "NIP Mentor",
    "coach_nip": "NIP Coach",
    "project_title": "Judul Proyek",
    "seminar_group": "Kelompok",
    "rank": "Pangkat/Gol.",
    "phone": "No. HP",
    "channel": "Kanal",
}
# The longest value each text column may hold: the widths of the database columns it fills.
MAX_LENGTHS: dict[str, int] = {
    "name": 200,
    "agency": 200,
    "position": 200,
    "project_title": 500,
    "seminar_group": 40,
    "rank": 100,
}
REQUIRED_COLUMNS: tuple[str, ...] = ("role", "name", "nip")
# Only a participant has a mentor, a coach and a project.
PARTICIPANT_ONLY_COLUMNS: tuple[str, ...] = ("mentor_nip", "coach_nip", "project_title")
NIP_COLUMNS: tuple[str, ...] = ("nip", "mentor_nip", "coach_nip")
# A title (and a blank row or two) often sits above the header of a spreadsheet roster.
HEADER_SEARCH_ROWS = 10
# The "No" of the template's example rows: such rows are never imported.
EXAMPLE_MARKERS = frozenset({"contoh", "example"})
_DELIMITERS = (",", ";", "\t")
# What rosters write in an optional cell that has nothing to say.
_NO_VALUE = frozenset({"-", "\u2013", "\u2014"})
# A channel cell's words, after case folding ("WhatsApp", "WA", "Telegram", "TG").
_CHANNELS: dict[str, Channel] = {
    "telegram": Channel.TELEGRAM,
    "tg": Channel.TELEGRAM,
    "whatsapp": Channel.WHATSAPP,
    "whats app": Channel.WHATSAPP,
    "wa": Channel.WHATSAPP,
}
# "1.97203E+17" or "1,97203E+17": what Excel shows, and exports, for an 18-digit number.
_SCIENTIFIC = re.compile(r"(\d+)(?:[.,](\d+))?\s*[eE]\s*\+?\s*(\d+)")
# Spreadsheets keep numbers as binary floating point: 15 significant digits survive.
_FLOAT_DIGITS = 15

# A cell as read: text, or a number a spreadsheet stored (never bool: read as text).
Cell = str | int | float
Record = tuple[int, Sequence[Cell]]


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with the file; `code` is a catalog key, `line` is 1-based (None: file).

    From a spreadsheet, `cell` names the cell ("C5") and `header` its column's heading as the
    file writes it ("NIP Mentor"); both are None for a CSV file and for whole-row problems.
    """

    line: int | None
    code: str
    params: dict[str, object] = field(default_factory=dict)
    cell: str | None = None
    header: str | None = None


class CohortFileError(ValueError):
    """The file cannot be imported; `problems` lists every problem found, in line order."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        summary = ", ".join(f"line {p.line}: {p.code}" for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s) in cohort file: {summary}{more}")


@dataclass(frozen=True)
class CohortRow:
    """One validated person from the file. Optional text columns are None when left empty."""

    line: int
    role: Role
    name: str
    nip: Nip
    agency: str | None
    position: str | None
    zone: ZoneInfo
    mentor_nip: str | None  # 18 digits, refers to a mentor row of the same file
    coach_nip: str | None  # 18 digits, refers to a coach row of the same file
    project_title: str | None
    # The seminar group as written (spaces collapsed); None when the cell is empty.
    seminar_group: str | None = None
    # Whether the file has a seminar group column at all: without one, import leaves groups be.
    seminar_group_listed: bool = False
    # Pangkat/golongan as written ("Pembina (IV/a)"); None when the cell is empty.
    rank: str | None = None
    # Whether the file has a rank column at all: without one, import leaves ranks be.
    rank_listed: bool = False
    # The mobile number in E.164 ("+6281234567890"); None when the cell is empty.
    phone: str | None = None
    phone_listed: bool = False
    # The channel the person is to be invited on; None when the cell is empty (both links).
    channel: Channel | None = None
    channel_listed: bool = False


@dataclass
class _Draft:
    """A data row as far as it could be validated; cross-references are checked afterwards."""

    line: int
    role: Role | None
    name: str
    nip: Nip | None
    zone: ZoneInfo | None
    cells: dict[str, str]
    mentor_ref: str | None = None
    coach_ref: str | None = None
    phone: str | None = None
    channel: Channel | None = None


@dataclass
class _Layout:
    """The header as read: each column's name (from COLUMNS or IGNORED_COLUMNS, the folded
    heading when unknown, "" when unnamed) and its heading as the file writes it."""

    names: list[str]
    headings: list[str]
    spreadsheet: bool

    def problem(
        self,
        line: int,
        code: str,
        params: dict[str, object] | None = None,
        *,
        column: str | None = None,
        index: int | None = None,
    ) -> RowProblem:
        """A problem of `line`; from a spreadsheet, located in the cell of `column` or `index`."""
        if index is None and column in self.names:
            index = self.names.index(column)
        if not self.spreadsheet or index is None:
            return RowProblem(line, code, params or {})
        heading = self.headings[index] if index < len(self.headings) else ""
        cell = f"{column_letter(index + 1)}{line}"
        return RowProblem(line, code, params or {}, cell=cell, header=heading or None)


@dataclass
class _Broken:
    """NIPs of rows too broken to check references against: exact digits, or the value and
    tolerance of a NIP a spreadsheet kept as a number with its last digits lost."""

    nips: set[str] = field(default_factory=set)
    near: list[tuple[float, float]] = field(default_factory=list)

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, str):
            return False
        if ref in self.nips:
            return True
        return ref.isdigit() and any(abs(int(ref) - v) <= tol for v, tol in self.near)


def parse_cohort_csv(data: bytes, *, default_zone: ZoneInfo, today: date) -> list[CohortRow]:
    """Parse a cohort CSV, or raise `CohortFileError` listing every problem in the file.

    UTF-8 with or without BOM; the delimiter (comma, semicolon or tab) is taken from the header
    line; cells are trimmed; blank lines are skipped. Everything else is `parse_cohort_records`.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CohortFileError([RowProblem(line, "csv.error.not_utf8")]) from None

    records = _records(text)
    if isinstance(records, RowProblem):
        raise CohortFileError([records])
    return parse_cohort_records(records, default_zone=default_zone, today=today)


def parse_cohort_records(
    records: Sequence[Record],
    *,
    default_zone: ZoneInfo,
    today: date,
    spreadsheet: bool = False,
) -> list[CohortRow]:
    """Validate a roster's non-blank rows (line number, cells), or raise `CohortFileError`.

    The header is the first of the first `HEADER_SEARCH_ROWS` rows naming two known columns
    (rows above it, a title say, are skipped), or the first row when none does; a second
    header row under it completes merged headings ("NIP" under "Mentor"). Header names are
    case-, space- and punctuation-insensitive and may be an alias from `ALIASES`
    ("Kelompok" for seminar_group, "NIP Mentor" for mentor_nip); columns in
    `IGNORED_COLUMNS` and unnamed empty columns are skipped, and so are rows with no data
    but a number, and the template's example rows. An empty timezone cell means
    `default_zone`. A NIP a spreadsheet stored as a number, or shows as "1.97203E+17", is
    refused with how to fix it. Text longer than its database column (`MAX_LENGTHS`) is a
    problem of its line. If the header itself is wrong, only header problems are reported:
    checking rows against a misread header would bury the real mistake in noise. With
    `spreadsheet`, each problem also names its cell ("C5").
    """
    if not records:
        raise CohortFileError([RowProblem(None, "csv.error.empty")])
    start = header_row(records)
    if start is None:
        start = 0
    header_line, header_cells = records[start]
    body = list(records[start + 1 :])
    headings = [_text(cell) for cell in header_cells]
    if body:
        completed = _completed_by_sub_header(headings, body[0][1])
        if completed is not None:
            headings = completed
            body = body[1:]

    layout, problems = _header(header_line, headings, body, spreadsheet)
    if problems:
        raise CohortFileError(problems)
    if not body:
        raise CohortFileError([RowProblem(None, "csv.error.no_rows")])

    drafts: list[_Draft] = []
    broken = _Broken()
    for line, cells in body:
        draft = _row(line, cells, layout, default_zone, today, problems, broken)
        if draft is not None:
            drafts.append(draft)

    _check_references(drafts, broken, layout, problems)
    if problems:
        raise CohortFileError(problems)
    if not drafts:
        raise CohortFileError([RowProblem(None, "csv.error.no_rows")])
    return [_finish(d) for d in drafts]


def header_row(records: Sequence[Record]) -> int | None:
    """Index of the header among the first rows: the first naming two known columns."""
    for index, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]):
        names = {column_name(cell) for cell in cells if isinstance(cell, str)}
        if len(names.intersection(COLUMNS)) >= 2:
            return index
    return None


def column_name(heading: str) -> str | None:
    """The column (from COLUMNS or IGNORED_COLUMNS) a heading names, or None."""
    return _NAMES.get(_key(heading))


def column_letter(number: int) -> str:
    """A spreadsheet's letters for the 1-based column `number`: 1 is "A", 28 is "AB"."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _key(heading: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", heading.casefold()).split())


_NAMES: dict[str, str] = {
    **{_key(column): column for column in COLUMNS},
    **{_key(alias): column for alias, column in ALIASES.items()},
}
_ALLOWED = ", ".join(f"{column} ({_SHOWN_NAMES[column]})" for column in COLUMNS)


def _text(cell: Cell) -> str:
    """A cell as trimmed text; a whole number a spreadsheet stored as 2.0 reads "2"."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float):
        if cell.is_integer() and abs(cell) < 10**_FLOAT_DIGITS:
            return str(int(cell))
        return format(cell, f".{_FLOAT_DIGITS}g")
    return str(cell)


def _completed_by_sub_header(headings: list[str], cells: Sequence[Cell]) -> list[str] | None:
    """The headings completed by the row under them when it is a second header row.

    A roster may head two columns with "Mentor" merged over both and "Nama" and "NIP" under
    it: a merged cell keeps its text in its first column only, so a heading carries to the
    empty ones right of it. The row counts as a header row only if every cell in it, read with
    the heading above, names a known column ("NIP" under "Mentor" is "Mentor NIP").
    """
    if any(not isinstance(cell, str) for cell in cells if _text(cell)):
        return None  # numbers never head a column
    completed = headings + [""] * max(0, len(cells) - len(headings))
    group = ""
    found = False
    for index, cell in enumerate(cells):
        above = headings[index] if index < len(headings) else ""
        group = above or group
        sub = _text(cell)
        if not sub:
            continue
        if not group:
            return None
        heading = f"{group} {sub}"
        if column_name(heading) is None and column_name(f"{sub} {group}") is None:
            return None
        completed[index] = heading if column_name(heading) else f"{sub} {group}"
        found = True
    return completed if found else None


def _records(text: str) -> list[tuple[int, list[str]]] | RowProblem:
    """Non-blank records with the file line each starts on, or the CSV syntax problem."""
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max(_DELIMITERS, key=first_line.count)  # ties go to the comma (listed first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for record in reader:
            cells = [cell.strip() for cell in record]
            if any(cells):  # blank lines, also ";;;;" rows from spreadsheets
                records.append((next_line, cells))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        return RowProblem(next_line, "csv.error.malformed", {"detail": str(exc)})
    return records


def _header(
    line: int, headings: list[str], body: list[Record], spreadsheet: bool
) -> tuple[_Layout, list[RowProblem]]:
    def has_data(index: int) -> bool:
        return any(index < len(cells) and _text(cells[index]) for _, cells in body)

    names = [column_name(heading) or _key(heading) for heading in headings]
    # Spreadsheets often leave trailing empty header cells, and merged headings leave empty
    # ones between: an unnamed column is a mistake only when it holds data.
    while names and not names[-1] and not has_data(len(names) - 1):
        names.pop()
    layout = _Layout(names, headings[: len(names)], spreadsheet)
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for index, (name, heading) in enumerate(zip(names, headings, strict=False)):
        if not name:
            if has_data(index):
                params: dict[str, object] = {"position": index + 1}
                problems.append(
                    layout.problem(line, "csv.error.unnamed_column", params, index=index)
                )
        elif name not in COLUMNS and name not in IGNORED_COLUMNS:
            params = {"column": heading, "allowed": _ALLOWED}
            problems.append(layout.problem(line, "csv.error.unknown_column", params, index=index))
        elif name in seen and name in COLUMNS:
            params = {"column": heading}
            problems.append(layout.problem(line, "csv.error.duplicate_column", params, index=index))
        seen.add(name)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(RowProblem(line, "csv.error.missing_column", {"column": column}))
    return layout, problems


def _row(
    line: int,
    cells: Sequence[Cell],
    layout: _Layout,
    default_zone: ZoneInfo,
    today: date,
    problems: list[RowProblem],
    broken: _Broken,
) -> _Draft | None:
    header = layout.names
    texts = [_text(cell) for cell in cells]
    if len(texts) > len(header) and not any(texts[len(header) :]):
        cells, texts = cells[: len(header)], texts[: len(header)]  # trailing empty cells
    if len(texts) != len(header):
        params: dict[str, object] = {"expected": len(header), "found": len(texts)}
        problems.append(RowProblem(line, "csv.error.cell_count", params))
        nip_index = header.index("nip")
        if nip_index < len(texts):
            broken.nips.add(normalize_nip(texts[nip_index]))
        return None

    values = dict(zip(header, texts, strict=True))
    raw = dict(zip(header, cells, strict=True))
    if values.get("no", "").casefold() in EXAMPLE_MARKERS:
        return None  # the template's example
    if not any(values.get(column) for column in COLUMNS):
        return None  # a numbered row of a form nobody filled in

    def problem(code: str, params: dict[str, object] | None = None, column: str = "") -> None:
        problems.append(layout.problem(line, code, params, column=column or None))

    for column in REQUIRED_COLUMNS:
        if not values[column]:
            problem("csv.error.required_empty", {"column": column}, column)

    mangled: set[str] = set()
    for column in NIP_COLUMNS:
        if column in raw and _mangled_nip(raw[column], layout, column, line, problems, broken):
            mangled.add(column)

    role: Role | None = None
    if values["role"]:
        try:
            role = parse_role(values["role"])
        except UnknownRole as exc:
            problem(exc.code, exc.params, "role")

    nip: Nip | None = None
    if values["nip"] and "nip" not in mangled:
        try:
            nip = parse_nip(values["nip"], today=today)
        except InvalidNip as exc:
            problem(exc.code, exc.params, "nip")
            broken.nips.add(normalize_nip(values["nip"]))

    zone: ZoneInfo | None = default_zone
    if values.get("timezone"):
        try:
            zone = parse_zone(values["timezone"])
        except UnknownZone as exc:
            problem(exc.code, exc.params, "timezone")
            zone = None

    for column, limit in MAX_LENGTHS.items():
        length = len(" ".join(values.get(column, "").split()))
        if length > limit:
            problem(
                "csv.error.too_long", {"column": column, "limit": limit, "length": length}, column
            )

    draft = _Draft(line, role, " ".join(values["name"].split()), nip, zone, values)
    if values.get("phone") and values["phone"] not in _NO_VALUE:
        try:
            draft.phone = normalize_phone(values["phone"])
        except InvalidPhone as exc:
            problem(exc.code, exc.params, "phone")
    if values.get("channel") and values["channel"] not in _NO_VALUE:
        draft.channel = _CHANNELS.get(_key(values["channel"]))
        if draft.channel is None:
            params = {"value": values["channel"], "allowed": ", ".join(c.value for c in Channel)}
            problem("roster.error.unknown_channel", params, "channel")
    for column in ("mentor_nip", "coach_nip"):
        value = values.get(column, "")
        if not value or column in mangled:
            continue
        ref = normalize_nip(value)
        if len(ref) != NIP_LENGTH or not ref.isascii() or not ref.isdigit():
            problem("csv.error.reference_malformed", {"column": column, "value": value}, column)
        elif column == "mentor_nip":
            draft.mentor_ref = ref
        else:
            draft.coach_ref = ref

    if role is not None and role is not Role.PARTICIPANT:
        for column in PARTICIPANT_ONLY_COLUMNS:
            if values.get(column):
                problem(
                    "csv.error.participant_only_column", {"column": column, "role": role}, column
                )
    if role is Role.PARTICIPANT and not values.get("mentor_nip"):
        problem("csv.error.participant_without_mentor", None, "mentor_nip")
    return draft


def _mangled_nip(
    cell: Cell,
    layout: _Layout,
    column: str,
    line: int,
    problems: list[RowProblem],
    broken: _Broken,
) -> bool:
    """Report a NIP cell a spreadsheet turned into a number; True when it did.

    Spreadsheets keep numbers as binary floating point, exact to 15 digits: an 18-digit NIP
    typed into a number cell loses its last digits and shows as 1.97203E+17. A float, or
    that text, can never be trusted; a whole number may be the survivor of such a float.
    """
    heading = layout.headings[layout.names.index(column)] or column
    if isinstance(cell, int):
        code, shown = "roster.error.nip_number", str(cell)
        broken.nips.add(shown)
    elif isinstance(cell, float):
        code, shown = "roster.error.nip_lost_digits", as_excel_shows(cell)
        if math.isfinite(cell) and cell > 0:
            exponent = len(str(int(cell))) - 1
            broken.near.append((cell, 0.5 * 10 ** (exponent - _FLOAT_DIGITS + 1)))
    else:
        match = _SCIENTIFIC.fullmatch(cell.strip())
        if match is None:
            return False
        code, shown = "roster.error.nip_lost_digits", cell.strip()
        whole, decimals, exponent = match.group(1), match.group(2) or "", int(match.group(3))
        value = float(f"{whole}.{decimals or 0}e{exponent}")
        broken.near.append((value, 0.5 * 10 ** (exponent - len(decimals))))
    params: dict[str, object] = {"value": shown, "column": heading}
    problems.append(layout.problem(line, code, params, column=column))
    return True


def as_excel_shows(value: float) -> str:
    """A large number as a spreadsheet's General format shows it: "1.97203E+17"."""
    mantissa, exponent = f"{value:.5E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}E{sign}{abs(int(exponent)):02d}"


def _check_references(
    drafts: list[_Draft], broken: _Broken, layout: _Layout, problems: list[RowProblem]
) -> None:
    people: dict[str, _Draft] = {}
    for draft in drafts:
        if draft.nip is None:
            continue
        first = people.get(draft.nip.digits)
        if first is None:
            people[draft.nip.digits] = draft
        else:
            params: dict[str, object] = {"nip": draft.nip.formatted, "other_line": first.line}
            problems.append(
                layout.problem(draft.line, "csv.error.duplicate_nip", params, column="nip")
            )
    # WhatsApp reaches one person per number: a number twice is a copied cell, and its
    # invitation would open the other person's chat.
    phones: dict[str, _Draft] = {}
    for draft in drafts:
        if draft.phone is None:
            continue
        first = phones.setdefault(draft.phone, draft)
        if first is not draft:
            params = {"phone": national_format(draft.phone), "other_line": first.line}
            problems.append(
                layout.problem(draft.line, "csv.error.duplicate_phone", params, column="phone")
            )

    for draft in drafts:
        if draft.role is not Role.PARTICIPANT:
            continue  # references on other rows are already reported as misplaced
        own = draft.nip.digits if draft.nip else None
        if draft.mentor_ref is not None and draft.mentor_ref == own:
            problems.append(layout.problem(draft.line, "csv.error.own_mentor", column="mentor_nip"))
        else:
            _check_reference(draft, draft.mentor_ref, Role.MENTOR, people, broken, layout, problems)
        _check_reference(draft, draft.coach_ref, Role.COACH, people, broken, layout, problems)


def _check_reference(
    draft: _Draft,
    ref: str | None,
    expected: Role,
    people: Mapping[str, _Draft],
    broken: _Broken,
    layout: _Layout,
    problems: list[RowProblem],
) -> None:
    if ref is None or ref in broken:
        return  # nothing to check, or the target row's own problem already explains it
    column = f"{expected.value}_nip"
    target = people.get(ref)
    if target is None:
        code = f"csv.error.{expected.value}_not_found"
        problems.append(layout.problem(draft.line, code, {"nip": _grouped(ref)}, column=column))
    elif target.role is not None and target.role is not expected:
        code = f"csv.error.{expected.value}_wrong_role"
        params: dict[str, object] = {"nip": _grouped(ref), "name": target.name, "role": target.role}
        problems.append(layout.problem(draft.line, code, params, column=column))


def _finish(draft: _Draft) -> CohortRow:
    # Only called when no problem was found, so every field was validated.
    assert draft.role is not None and draft.nip is not None and draft.zone is not None
    cells = draft.cells

    def optional(column: str) -> str | None:
        return " ".join(cells.get(column, "").split()) or None

    return CohortRow(
        line=draft.line,
        role=draft.role,
        name=draft.name,
        nip=draft.nip,
        agency=optional("agency"),
        position=optional("position"),
        zone=draft.zone,
        mentor_nip=draft.mentor_ref,
        coach_nip=draft.coach_ref,
        project_title=optional("project_title"),
        seminar_group=optional("seminar_group"),
        seminar_group_listed="seminar_group" in cells,
        rank=optional("rank"),
        rank_listed="rank" in cells,
        phone=draft.phone,
        phone_listed="phone" in cells,
        channel=draft.channel,
        channel_listed="channel" in cells,
    )


def _grouped(digits: str) -> str:
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def describe_problem(problem: RowProblem, t: Translator) -> str:
    """One problem as a sentence in `t`'s language: "Baris 7: NIP mentor ... tidak ditemukan"."""
    params: dict[str, object] = {
        name: t(value.message_key) if isinstance(value, Role) else value
        for name, value in problem.params.items()
    }
    message = t(problem.code, **params)
    if problem.line is None:
        return message
    if problem.cell is not None and problem.header is not None:
        return t(
            "roster.problem.with_cell_header",
            line=problem.line,
            cell=problem.cell,
            header=problem.header,
            message=message,
        )
    if problem.cell is not None:
        return t("roster.problem.with_cell", line=problem.line, cell=problem.cell, message=message)
    return t("csv.problem.with_line", line=problem.line, message=message)


def describe_file_error(error: CohortFileError, t: Translator) -> str:
    """A summary line followed by one line per problem, ready to send to the organizer."""
    lines = [t.plural("csv.problem.summary", len(error.problems))]
    lines.extend(f"• {describe_problem(p, t)}" for p in error.problems)
    return "\n".join(lines)
