"""/status as catalog markup, for any channel: the participant's project at a glance (every
milestone with its progress bar, target date, lateness, sign-off and newest note)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import MilestoneStatus
from domain.i18n import format_date, format_datetime, translator
from domain.markup import escape_params
from domain.progress import progress_bar
from domain.project_term import term_params
from domain.timezones import zone_label
from services import projects, terms
from services.relays import excerpt


async def status_text(
    session: AsyncSession, person_id: int, *, language: str, zone: ZoneInfo, now: datetime
) -> str:
    """The participant's status in their language and zone, as one markup text."""
    translate = translator(language)

    def t(key: str, /, **params: object) -> str:
        return translate(key, **escape_params(params))

    view = await projects.project_view(session, person_id)
    today = now.astimezone(zone).date()
    term = await terms.cohort_term(session, view.cohort_id)
    parts = [
        t(
            "status.header",
            title=view.title or t("project.none"),
            bar=progress_bar(view.progress),
            **term_params(translate, term),
        )
    ]
    if not view.milestones:
        parts.append(t("status.no_milestones"))
    for m in view.milestones:
        lines = [
            t(
                "status.milestone",
                title=m.title,
                horizon=t(f"horizon.{m.horizon.value}"),
                bar=progress_bar(m.progress),
            ),
            t("status.due", date=format_date(m.due_on, None, language), zone=zone_label(zone, now))
            + (" " + t("status.late") if m.overdue(today) else ""),
        ]
        if m.status is MilestoneStatus.APPROVED and m.approved_at is not None:
            lines.append(
                t(
                    "status.approved",
                    name=m.approved_by or "-",
                    at=format_datetime(m.approved_at, zone, language),
                )
            )
        elif m.status is MilestoneStatus.SUBMITTED:
            lines.append(t("status.waiting_approval"))
        if m.newest_note is not None and m.newest_note.text:
            lines.append(
                t(
                    "status.newest_note",
                    name=m.newest_note.author_name,
                    text=excerpt(m.newest_note.text),
                )
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
