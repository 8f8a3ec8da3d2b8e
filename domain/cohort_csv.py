"""Parsing and validating a cohort's people from an organizer's CSV file (all or nothing)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from domain.i18n import Translator
from domain.nip import NIP_LENGTH, InvalidNip, Nip, normalize_nip, parse_nip
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
)
# Header names people use for a column, besides its own name (compared case-insensitively).
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
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with the file; `code` is a catalog key, `line` is 1-based (None: file)."""

    line: int | None
    code: str
    params: dict[str, object] = field(default_factory=dict)


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


def parse_cohort_csv(data: bytes, *, default_zone: ZoneInfo, today: date) -> list[CohortRow]:
    """Parse a cohort CSV, or raise `CohortFileError` listing every problem in the file.

    UTF-8 with or without BOM; the delimiter (comma, semicolon or tab) is taken from the header
    line; header names are case-insensitive and may be an alias from `ALIASES` ("kelompok" for
    seminar_group); cells are trimmed; blank lines are skipped. An empty timezone cell means
    `default_zone`. Text longer than its database column (`MAX_LENGTHS`) is a problem of its
    line. If the header itself is wrong, only header problems are reported: checking rows
    against a misread header would bury the real mistake in noise.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CohortFileError([RowProblem(line, "csv.error.not_utf8")]) from None

    records = _records(text)
    if isinstance(records, RowProblem):
        raise CohortFileError([records])
    if not records:
        raise CohortFileError([RowProblem(None, "csv.error.empty")])

    header_line, header_cells = records[0]
    header, problems = _header(header_line, header_cells)
    if problems:
        raise CohortFileError(problems)
    if len(records) == 1:
        raise CohortFileError([RowProblem(None, "csv.error.no_rows")])

    drafts: list[_Draft] = []
    broken_nips: set[str] = set()  # NIPs of rows too broken to check references against
    for line, cells in records[1:]:
        draft = _row(line, cells, header, default_zone, today, problems, broken_nips)
        if draft is not None:
            drafts.append(draft)

    _check_references(drafts, broken_nips, problems)
    if problems:
        raise CohortFileError(problems)
    return [_finish(d) for d in drafts]


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


def _header(line: int, cells: list[str]) -> tuple[list[str], list[RowProblem]]:
    names = [ALIASES.get(" ".join(cell.casefold().split()), cell.casefold()) for cell in cells]
    while names and not names[-1]:
        names.pop()  # spreadsheets often leave trailing empty header cells
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for position, (name, original) in enumerate(zip(names, cells, strict=False), start=1):
        if not name:
            problems.append(RowProblem(line, "csv.error.unnamed_column", {"position": position}))
        elif name not in COLUMNS:
            allowed = ", ".join(COLUMNS)
            problems.append(
                RowProblem(
                    line, "csv.error.unknown_column", {"column": original, "allowed": allowed}
                )
            )
        elif name in seen:
            problems.append(RowProblem(line, "csv.error.duplicate_column", {"column": original}))
        seen.add(name)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(RowProblem(line, "csv.error.missing_column", {"column": column}))
    return names, problems


def _row(
    line: int,
    cells: list[str],
    header: list[str],
    default_zone: ZoneInfo,
    today: date,
    problems: list[RowProblem],
    broken_nips: set[str],
) -> _Draft | None:
    if len(cells) > len(header) and not any(cells[len(header) :]):
        cells = cells[: len(header)]  # trailing empty cells from a spreadsheet export
    if len(cells) != len(header):
        params: dict[str, object] = {"expected": len(header), "found": len(cells)}
        problems.append(RowProblem(line, "csv.error.cell_count", params))
        nip_index = header.index("nip")
        if nip_index < len(cells):
            broken_nips.add(normalize_nip(cells[nip_index]))
        return None

    values = dict(zip(header, cells, strict=True))
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            problems.append(RowProblem(line, "csv.error.required_empty", {"column": column}))

    role: Role | None = None
    if values["role"]:
        try:
            role = parse_role(values["role"])
        except UnknownRole as exc:
            problems.append(RowProblem(line, exc.code, exc.params))

    nip: Nip | None = None
    if values["nip"]:
        try:
            nip = parse_nip(values["nip"], today=today)
        except InvalidNip as exc:
            problems.append(RowProblem(line, exc.code, exc.params))
            broken_nips.add(normalize_nip(values["nip"]))

    zone: ZoneInfo | None = default_zone
    if values.get("timezone"):
        try:
            zone = parse_zone(values["timezone"])
        except UnknownZone as exc:
            problems.append(RowProblem(line, exc.code, exc.params))
            zone = None

    for column, limit in MAX_LENGTHS.items():
        length = len(" ".join(values.get(column, "").split()))
        if length > limit:
            params = {"column": column, "limit": limit, "length": length}
            problems.append(RowProblem(line, "csv.error.too_long", params))

    draft = _Draft(line, role, " ".join(values["name"].split()), nip, zone, values)
    for column in ("mentor_nip", "coach_nip"):
        raw = values.get(column, "")
        if not raw:
            continue
        ref = normalize_nip(raw)
        if len(ref) != NIP_LENGTH or not ref.isascii() or not ref.isdigit():
            params = {"column": column, "value": raw}
            problems.append(RowProblem(line, "csv.error.reference_malformed", params))
        elif column == "mentor_nip":
            draft.mentor_ref = ref
        else:
            draft.coach_ref = ref

    if role is not None and role is not Role.PARTICIPANT:
        for column in PARTICIPANT_ONLY_COLUMNS:
            if values.get(column):
                params = {"column": column, "role": role}
                problems.append(RowProblem(line, "csv.error.participant_only_column", params))
    if role is Role.PARTICIPANT and not values.get("mentor_nip"):
        problems.append(RowProblem(line, "csv.error.participant_without_mentor"))
    return draft


def _check_references(
    drafts: list[_Draft], broken_nips: set[str], problems: list[RowProblem]
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
            problems.append(RowProblem(draft.line, "csv.error.duplicate_nip", params))

    for draft in drafts:
        if draft.role is not Role.PARTICIPANT:
            continue  # references on other rows are already reported as misplaced
        own = draft.nip.digits if draft.nip else None
        if draft.mentor_ref is not None and draft.mentor_ref == own:
            problems.append(RowProblem(draft.line, "csv.error.own_mentor"))
        else:
            _check_reference(draft, draft.mentor_ref, Role.MENTOR, people, broken_nips, problems)
        _check_reference(draft, draft.coach_ref, Role.COACH, people, broken_nips, problems)


def _check_reference(
    draft: _Draft,
    ref: str | None,
    expected: Role,
    people: Mapping[str, _Draft],
    broken_nips: set[str],
    problems: list[RowProblem],
) -> None:
    if ref is None or ref in broken_nips:
        return  # nothing to check, or the target row's own problem already explains it
    target = people.get(ref)
    if target is None:
        code = f"csv.error.{expected.value}_not_found"
        problems.append(RowProblem(draft.line, code, {"nip": _grouped(ref)}))
    elif target.role is not None and target.role is not expected:
        code = f"csv.error.{expected.value}_wrong_role"
        params: dict[str, object] = {"nip": _grouped(ref), "name": target.name, "role": target.role}
        problems.append(RowProblem(draft.line, code, params))


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
    return t("csv.problem.with_line", line=problem.line, message=message)


def describe_file_error(error: CohortFileError, t: Translator) -> str:
    """A summary line followed by one line per problem, ready to send to the organizer."""
    lines = [t.plural("csv.problem.summary", len(error.problems))]
    lines.extend(f"• {describe_problem(p, t)}" for p in error.problems)
    return "\n".join(lines)
