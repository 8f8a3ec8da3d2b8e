"""/status for a participant's project at a glance; /peserta and the timeline for advisors."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from domain.enums import FeedbackKind, MilestoneStatus, UpdateStatus
from domain.i18n import format_date, format_datetime
from domain.progress import progress_bar
from domain.project_term import term_params
from domain.timezones import zone_label
from handlers import callbacks
from handlers.delivery import body_html, excerpt, send_html
from handlers.edits import edit_text
from handlers.menu import ADVISORS
from handlers.portfolio import button as portfolio_button
from handlers.runtime import Context
from handlers.turn import Turn, turn
from services import overview, projects, terms
from services.errors import UserFacingError


def _today(current: Turn) -> date:
    """Today where the user is: "terlambat" flips at their midnight, not the server's."""
    return current.now().astimezone(current.actor.timezone).date()


async def status_command(update: Update, context: Context, current: Turn) -> None:
    """/status: every milestone with a progress bar, target date, lateness, sign-off, feedback."""
    assert update.effective_message is not None and current.actor.person_id is not None
    view = await projects.project_view(current.session, current.actor.person_id)
    lang, zone = current.actor.language, current.actor.timezone
    today = _today(current)
    now = current.now()
    term = await terms.cohort_term(current.session, view.cohort_id)
    parts = [
        current.t(
            "status.header",
            title=view.title or current.t("project.none"),
            bar=progress_bar(view.progress),
            **term_params(current.translator, term),
        )
    ]
    if not view.milestones:
        parts.append(current.t("status.no_milestones"))
    for m in view.milestones:
        lines = [
            current.t(
                "status.milestone",
                title=m.title,
                horizon=current.t(f"horizon.{m.horizon.value}"),
                bar=progress_bar(m.progress),
            ),
            current.t(
                "status.due", date=format_date(m.due_on, None, lang), zone=zone_label(zone, now)
            )
            + (" " + current.t("status.late") if m.overdue(today) else ""),
        ]
        if m.status is MilestoneStatus.APPROVED and m.approved_at is not None:
            lines.append(
                current.t(
                    "status.approved",
                    name=m.approved_by or "-",
                    at=format_datetime(m.approved_at, zone, lang),
                )
            )
        elif m.status is MilestoneStatus.SUBMITTED:
            lines.append(current.t("status.waiting_approval"))
        if m.newest_note is not None and m.newest_note.text:
            lines.append(
                current.t(
                    "status.newest_note",
                    name=m.newest_note.author_name,
                    text=excerpt(m.newest_note.text),
                )
            )
        parts.append("\n".join(lines))
    await send_html(context.bot, update.effective_message.chat_id, "\n\n".join(parts))


async def advisees_command(update: Update, context: Context, current: Turn) -> None:
    """/peserta: the participants this mentor or coach guides, each opening a timeline."""
    assert update.effective_message is not None and current.actor.person_id is not None
    summaries = await overview.advisee_summaries(current.session, current.actor.person_id)
    if not summaries:
        await update.effective_message.reply_text(current.t("advisees.none"))
        return
    lang, zone = current.actor.language, current.actor.timezone
    lines = [current.t("advisees.title")]
    buttons = []
    for s in summaries:
        last = (
            format_datetime(s.last_report_at, zone, lang)
            if s.last_report_at
            else current.t("advisees.no_report")
        )
        lines.append(
            current.t(
                "advisees.summary",
                name=s.name,
                # The line describes the participant; the viewer's own role (mentor or coach
                # of this one) read as if it were the participant's.
                kind=current.t("role.participant"),
                state=current.t("advisees.joined" if s.joined else "advisees.not_joined"),
                project=s.project_title or current.t("project.none"),
                bar=progress_bar(s.progress),
                last=last,
                waiting=s.waiting,
            )
        )
        label = f"{s.name} · {s.progress}%" + (f" · ⏳{s.waiting}" if s.waiting else "")
        buttons.append(
            [
                InlineKeyboardButton(
                    label,
                    callback_data=callbacks.pack(
                        callbacks.ADVISEES, str(s.participant_id), "0", "o"
                    ),
                )
            ]
        )
    await send_html(
        context.bot,
        update.effective_message.chat_id,
        "\n\n".join(lines),
        InlineKeyboardMarkup(buttons),
    )


_NOTE_ICON = {
    FeedbackKind.FEEDBACK: "💬",
    FeedbackKind.REPLY: "↩️",
    FeedbackKind.APPROVAL: "✅",
    FeedbackKind.REVISION_REQUEST: "✏️",
    FeedbackKind.ACKNOWLEDGED: "👍",
}
# What a note without words says in the timeline.
_WORDLESS = {FeedbackKind.ACKNOWLEDGED: "timeline.acknowledged_note"}


@turn(roles=ADVISORS)
async def timeline_page(update: Update, context: Context, current: Turn) -> None:
    """A participant's button under /peserta, or ◀ ▶ under a timeline page."""
    query = update.callback_query
    assert query is not None and current.actor.person_id is not None
    fields = callbacks.unpack(query.data, callbacks.ADVISEES, 3)
    if fields is None or not (fields[0].isdigit() and fields[1].isdigit()) or fields[2] not in "op":
        await query.answer(current.t("button.stale"), show_alert=True)
        return
    participant_id, page = int(fields[0]), int(fields[1])
    try:
        view = await overview.timeline(
            current.session, current.actor.person_id, participant_id, page
        )
    except UserFacingError as exc:
        await query.answer(current.t(exc.key, **exc.params), show_alert=True)
        return
    await query.answer()
    lang, zone = current.actor.language, current.actor.timezone
    parts = [
        current.t(
            "timeline.header", name=view.participant_name, page=view.page + 1, pages=view.pages
        )
    ]
    if not view.entries:
        parts.append(current.t("timeline.empty"))
    for entry in view.entries:
        status_key = {
            UpdateStatus.SUBMITTED: "timeline.status.submitted",
            UpdateStatus.APPROVED: "timeline.status.approved",
            UpdateStatus.REVISION_REQUESTED: "timeline.status.revision",
        }[entry.status]
        lines = [
            current.t(
                "timeline.entry",
                at=format_datetime(entry.submitted_at, zone, lang),
                milestone=entry.milestone_title,
                bar=progress_bar(entry.percent),
                status=current.t(status_key),
                text=body_html(
                    current.translator,
                    excerpt(entry.text),
                    excerpt(entry.obstacles) if entry.obstacles else None,
                    excerpt(entry.next_steps) if entry.next_steps else None,
                ),
                photos=entry.photos,
                documents=", ".join(entry.documents) or "-",
            )
        ]
        if entry.corrected_at is not None:
            lines.append(
                current.t("timeline.corrected", at=format_datetime(entry.corrected_at, zone, lang))
            )
        lines += [
            current.t(
                "timeline.note",
                icon=_NOTE_ICON[n.kind],
                name=n.author_name,
                at=format_datetime(n.at, zone, lang),
                text=excerpt(n.text) or current.t(_WORDLESS.get(n.kind, "timeline.approved_note")),
            )
            for n in entry.notes
        ]
        parts.append("\n".join(lines))
    nav = []
    if view.page > 0:
        nav.append(
            InlineKeyboardButton(
                "◀",
                callback_data=callbacks.pack(
                    callbacks.ADVISEES, str(participant_id), str(view.page - 1), "p"
                ),
            )
        )
    if view.page < view.pages - 1:
        nav.append(
            InlineKeyboardButton(
                "▶",
                callback_data=callbacks.pack(
                    callbacks.ADVISEES, str(participant_id), str(view.page + 1), "p"
                ),
            )
        )
    # Every page offers the whole record as a PDF, under the page navigation.
    rows = [nav] if nav else []
    rows.append([portfolio_button(current, participant_id)])
    markup = InlineKeyboardMarkup(rows)
    text = "\n\n".join(parts)
    if fields[2] == "p":  # paging within a timeline message: turn its page
        try:
            await edit_text(query, text, reply_markup=markup)
            return
        except BadRequest:
            pass  # too long to edit in place, or deleted: send it anew
    assert update.effective_chat is not None
    await send_html(context.bot, update.effective_chat.id, text, markup)
