"""A cohort export as labelled tables of typed cells, shared by the XLSX and CSV renderers.

Every header and value label comes from the catalog in the reader's language; moments are
converted to one zone, which every time column names in its header ("Laporan terakhir (WIB)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.i18n import Translator, translator
from domain.project_term import with_term
from domain.roles import Role
from domain.timezones import zone_label
from services.exports import (
    AUTHOR_COACH,
    AUTHOR_MENTOR,
    AUTHOR_PARTICIPANT,
    TABLES,
    CohortExport,
    EvidenceItem,
)

Cell = str | int | float | date | datetime | None


class CellKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"  # free text people wrote: wrapped, a wider column
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"  # naive, already in the export's zone
    HOURS = "hours"  # a duration in hours, one decimal


@dataclass(frozen=True)
class Column:
    header: str
    kind: CellKind = CellKind.TEXT


@dataclass(frozen=True)
class Table:
    key: str  # one of services.exports.TABLES
    title: str  # sheet name in the reader's language
    file_name: str  # CSV file name in the reader's language
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]


_AUTHOR_ROLE_KEYS = {
    AUTHOR_PARTICIPANT: Role.PARTICIPANT.message_key,
    AUTHOR_MENTOR: Role.MENTOR.message_key,
    AUTHOR_COACH: Role.COACH.message_key,
}


def hours(value: timedelta | None) -> float | None:
    """A duration as hours with one decimal: 90 minutes -> 1.5."""
    return None if value is None else round(value.total_seconds() / 3600, 1)


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware moment as the naive wall-clock time in `zone` (spreadsheets keep no zone)."""
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _evidence(t: Translator, items: tuple[EvidenceItem, ...]) -> str:
    parts = []
    for item in items:
        detail = " - ".join(x for x in (item.file_name, item.caption, item.url) if x)
        label = t(f"export.evidence.{item.kind.value}")
        parts.append(f"{label}: {detail}" if detail else label)
    return "; ".join(parts)


def delivery_kind(t: Translator, kind: str) -> str:
    """The delivery log's kind in words ("reminder" -> "Pengingat tahapan"); a kind the
    catalog does not know yet stays as it is rather than failing the whole export."""
    key = f"export.delivery_kind.{kind}"
    return t(key) if key in t.messages else kind


def delivery_message(t: Translator, message_key: str, kind: str) -> str:
    """Which message it was, in words ("seminar.msg.d7_mentor" -> "Seminar: pengingat 7 hari
    sebelumnya (mentor)"); otherwise the kind's words."""
    key = f"export.delivery_message.{message_key}"
    return t(key) if key in t.messages else delivery_kind(t, kind)


def export_tables(export: CohortExport, language: str, zone: ZoneInfo) -> list[Table]:
    """The tables of an export, in TABLES order, with headers in `language`."""
    t = with_term(translator(language), export.project_term)
    label = zone_label(zone, export.generated_at)
    yes, no = t("export.yes"), t("export.no")

    def flag(value: bool) -> str:
        return yes if value else no

    def col(key: str, kind: CellKind = CellKind.TEXT) -> Column:
        # Headers may name the zone ("Dikirim (WIB)") and the project term ("Judul aksi
        # perubahan"); both are filled for every header.
        return Column(t(f"export.col.{key}", zone=label), kind)

    columns: dict[str, tuple[Column, ...]] = {
        "participants": (
            col("name"),
            col("nip"),
            col("agency"),
            col("position"),
            col("rank"),
            col("zone"),
            col("seminar_group"),
            col("project", CellKind.LONG_TEXT),
            col("mentors"),
            col("coaches"),
            col("joined"),
            col("progress", CellKind.NUMBER),
            col("milestones_approved", CellKind.NUMBER),
            col("milestones_total", CellKind.NUMBER),
            col("milestones_overdue", CellKind.NUMBER),
            col("last_report", CellKind.DATETIME),
            col("reports", CellKind.NUMBER),
            col("feedback_received", CellKind.NUMBER),
            col("median_response", CellKind.HOURS),
        ),
        "milestones": (
            col("participant"),
            col("horizon"),
            col("milestone", CellKind.LONG_TEXT),
            col("due_on", CellKind.DATE),
            col("expected_output", CellKind.LONG_TEXT),
            col("status"),
            col("latest_progress", CellKind.NUMBER),
            col("overdue"),
            col("approved_by"),
            col("approved_at", CellKind.DATETIME),
        ),
        "reports": (
            col("report_id", CellKind.NUMBER),
            col("participant"),
            col("milestone"),
            col("submitted_at", CellKind.DATETIME),
            col("progress", CellKind.NUMBER),
            col("status"),
            col("text", CellKind.LONG_TEXT),
            col("evidence_count", CellKind.NUMBER),
            col("evidence", CellKind.LONG_TEXT),
            col("obstacles", CellKind.LONG_TEXT),
            col("next_steps", CellKind.LONG_TEXT),
            col("corrected_at", CellKind.DATETIME),
            col("original_text", CellKind.LONG_TEXT),
        ),
        "feedback": (
            col("report_id", CellKind.NUMBER),
            col("participant"),
            col("author"),
            col("author_role"),
            col("kind"),
            col("at", CellKind.DATETIME),
            col("note", CellKind.LONG_TEXT),
            col("response_time", CellKind.HOURS),
        ),
        "seminars": (
            col("kind"),
            col("starts_at", CellKind.DATETIME),
            col("place"),
            col("link"),
            col("status"),
            col("presenters", CellKind.LONG_TEXT),
            col("examiner"),
        ),
        "deliveries": (
            col("created_at", CellKind.DATETIME),
            col("recipient"),
            col("kind"),
            col("message_key"),
            col("status"),
            col("attempts", CellKind.NUMBER),
            col("sent_at", CellKind.DATETIME),
            col("error", CellKind.LONG_TEXT),
            col("error_detail", CellKind.LONG_TEXT),
        ),
        "response_times": (
            col("name"),
            col("role"),
            col("participants", CellKind.NUMBER),
            col("reports", CellKind.NUMBER),
            col("answered", CellKind.NUMBER),
            col("median_response", CellKind.HOURS),
            col("waiting", CellKind.NUMBER),
            col("oldest_waiting", CellKind.HOURS),
        ),
        "seminar_materials": (
            col("seminar"),
            col("starts_at", CellKind.DATETIME),
            col("participant"),
            col("material"),
            col("version", CellKind.NUMBER),
            col("latest"),
            col("file_name"),
            col("file_size", CellKind.NUMBER),
            col("uploaded_at", CellKind.DATETIME),
            col("sha256"),
        ),
        "seminar_scores": (
            col("seminar"),
            col("starts_at", CellKind.DATETIME),
            col("participant"),
            col("examiner"),
            col("criterion_scores", CellKind.LONG_TEXT),
            col("weighted_total", CellKind.NUMBER),
            col("examiner_comment", CellKind.LONG_TEXT),
            col("submitted_at", CellKind.DATETIME),
            col("scores_released_at", CellKind.DATETIME),
        ),
    }
    rows: dict[str, list[tuple[Cell, ...]]] = {
        "participants": [
            (
                p.name,
                p.nip,
                p.agency,
                p.position,
                p.rank,
                p.zone,
                p.seminar_group,
                p.project_title,
                _names(p.mentors),
                _names(p.coaches),
                flag(p.joined),
                p.progress,
                p.milestones_approved,
                p.milestones_total,
                p.milestones_overdue,
                local(p.last_report_at, zone),
                p.reports,
                p.feedback_received,
                hours(p.median_response),
            )
            for p in export.participants
        ],
        "milestones": [
            (
                m.participant,
                t(f"horizon.{m.horizon.value}"),
                m.title,
                m.due_on,
                m.expected_output,
                t(f"export.milestone_status.{m.status.value}"),
                m.progress,
                flag(m.overdue),
                m.approved_by,
                local(m.approved_at, zone),
            )
            for m in export.milestones
        ],
        "reports": [
            (
                r.id,
                r.participant,
                r.milestone,
                local(r.submitted_at, zone),
                r.progress,
                t(f"export.report_status.{r.status.value}"),
                r.text,
                len(r.evidence),
                _evidence(t, r.evidence),
                r.obstacles,
                r.next_steps,
                local(r.corrected_at, zone),
                r.original_text,
            )
            for r in export.reports
        ],
        "feedback": [
            (
                f.report_id,
                f.participant,
                f.author,
                t(_AUTHOR_ROLE_KEYS.get(f.author_role, "export.author.other")),
                t(f"export.feedback_kind.{f.kind.value}"),
                local(f.at, zone),
                f.text,
                hours(f.response_time),
            )
            for f in export.feedback
        ],
        "seminars": [
            (
                t(f"seminar.kind.{s.kind.value}"),
                local(s.starts_at, zone),
                s.place,
                s.link,
                t(f"seminar.status.{s.status.value}"),
                _names(s.presenters),
                s.examiner,
            )
            for s in export.seminars
        ],
        "deliveries": [
            (
                local(d.created_at, zone),
                d.recipient,
                delivery_kind(t, d.kind),
                delivery_message(t, d.message_key, d.kind),
                t(f"export.delivery_status.{d.status.value}"),
                d.attempts,
                local(d.sent_at, zone),
                t(d.reason.message_key) if d.reason is not None else None,
                d.error,  # Telegram's own words, for whoever looks into it
            )
            for d in export.deliveries
        ],
        "response_times": [
            (
                a.name,
                t(Role(a.kind.value).message_key),
                a.participants,
                a.reports,
                a.answered,
                hours(a.median),
                a.waiting,
                hours(a.oldest_waiting),
            )
            for a in export.response_times
        ],
        "seminar_materials": [
            (
                t(f"seminar.kind.{m.seminar_kind.value}"),
                local(m.seminar_starts_at, zone),
                m.presenter,
                t(m.kind.message_key),
                m.version,
                flag(m.latest),
                m.file_name,
                m.size,
                local(m.uploaded_at, zone),
                m.sha256,
            )
            for m in export.seminar_materials
        ],
        "seminar_scores": [
            (
                t(f"seminar.kind.{s.kind.value}"),
                local(s.starts_at, zone),
                s.presenter,
                s.examiner,
                "; ".join(f"{i.criterion} ({i.weight}%): {i.score}" for i in s.items),
                float(s.total) if s.total is not None else None,
                s.comment,
                local(s.submitted_at, zone),
                local(s.released_at, zone),
            )
            for s in export.seminar_scores
        ],
    }
    return [
        Table(
            key=key,
            title=t(f"export.sheet.{key}"),
            file_name=t(f"export.file.{key}"),
            columns=columns[key],
            rows=rows[key],
        )
        for key in TABLES
    ]


def export_file_name(cohort_name: str, day: date, extension: str, language: str) -> str:
    """ "rekap-PKP-Angkatan-IV-2026-11-28.xlsx": safe on every system, sorts by cohort and day."""
    slug = re.sub(r"[^0-9A-Za-z]+", "-", cohort_name).strip("-") or "angkatan"
    prefix = translator(language)("export.download_prefix")
    return f"{prefix}-{slug}-{day.isoformat()}.{extension}"
