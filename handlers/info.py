"""Read-only commands: /bantuan, /profil."""

from __future__ import annotations

from telegram import Update

from domain.i18n import format_datetime
from handlers.menu import commands_for
from handlers.runtime import Context
from handlers.turn import Turn
from services import people


async def help_command(update: Update, context: Context, current: Turn) -> None:
    """/bantuan: the commands of the user's roles."""
    assert update.effective_message is not None
    lines = [
        current.t("help.line", command=c.name, description=current.t(c.description_key))
        for c in commands_for(current.actor)
    ]
    key = "help.member" if current.actor.is_known else "help.stranger"
    await update.effective_message.reply_text(current.t(key) + "\n\n" + "\n".join(lines))


async def profile_command(update: Update, context: Context, current: Turn) -> None:
    """/profil: what the bot holds about the user."""
    assert update.effective_message is not None and current.actor.person_id is not None
    me = await people.profile(current.session, current.actor.person_id, current.now())
    lang = current.actor.language
    lines = [current.t("profile.title"), current.t("profile.name", name=me.name)]
    if me.nip_masked:
        lines.append(current.t("profile.nip", nip=me.nip_masked))
    if me.agency or me.position:
        lines.append(
            current.t("profile.work", position=me.position or "-", agency=me.agency or "-")
        )
    if me.rank:
        lines.append(current.t("profile.rank", rank=me.rank))
    for c in me.cohorts:
        role = current.t(c.role.message_key)
        if c.seminar_group:
            lines.append(
                current.t(
                    "profile.membership_in_group",
                    role=role,
                    cohort=c.cohort_name,
                    group=c.seminar_group,
                )
            )
        else:
            lines.append(current.t("profile.membership", role=role, cohort=c.cohort_name))
    lines += [
        current.t("profile.advisor", kind=current.t(f"role.{a.kind}"), name=a.name)
        for a in me.advisors
    ]
    lines.append(current.t(f"profile.language.{lang}"))
    lines.append(current.t("profile.zone", zone=me.zone_label))
    if me.consent_at is not None:
        lines.append(
            current.t("profile.consent", at=format_datetime(me.consent_at, me.timezone, lang))
        )
    await update.effective_message.reply_text("\n".join(lines))
