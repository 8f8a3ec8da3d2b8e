"""Cohort import from a validated roster, and the invite list that follows from it."""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.cohort_csv import CohortRow
from domain.enums import AdvisorKind, Channel
from domain.i18n import Translator
from domain.phone import wa_me_link
from domain.project_term import programme_from_name
from domain.roles import Role
from models import Assignment, Cohort, Invite, Membership, Person, Project
from services import audit
from services.errors import UnknownCohort

# No 0/O, 1/I/L: codes are read aloud and typed from printed lists.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# What a WhatsApp invitation has the person send, followed by their code.
WHATSAPP_KEYWORD = "DAFTAR"


def new_invite_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """What people type: lower case, spaces, dashes. Codes are compared in this form."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


@dataclass
class ImportSummary:
    cohort_name: str
    cohort_created: bool = False
    cohort_updated: bool = False
    people_created: int = 0
    people_updated: int = 0
    memberships_changed: int = 0
    withdrawn: int = 0
    assignments_changed: int = 0
    projects_changed: int = 0
    by_role: dict[Role, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.cohort_created,
                self.cohort_updated,
                self.people_created,
                self.people_updated,
                self.memberships_changed,
                self.withdrawn,
                self.assignments_changed,
                self.projects_changed,
            )
        )


KNOWN_COHORTS_SHOWN = 10


async def find_cohort(session: AsyncSession, name: str) -> Cohort:
    """The cohort of that name, in any letter case; UnknownCohort lists the known ones and the
    closest to what was typed."""
    wanted = name.strip()
    cohort = await session.scalar(select(Cohort).where(Cohort.name == wanted))
    if cohort is not None:
        return cohort
    names = list(await session.scalars(select(Cohort.name).order_by(Cohort.name)))
    # Case-folded in Python: SQLite's lower() knows only ASCII, PostgreSQL's the locale.
    same = [n for n in names if n.casefold() == wanted.casefold()]
    if len(same) == 1:
        found = await session.scalar(select(Cohort).where(Cohort.name == same[0]))
        if found is not None:
            return found
    by_folded = {n.casefold(): n for n in names}
    close = difflib.get_close_matches(wanted.casefold(), list(by_folded), n=1, cutoff=0.6)
    raise UnknownCohort(
        name,
        known=tuple(names[:KNOWN_COHORTS_SHOWN]),
        suggestion=by_folded[close[0]] if close else None,
    )


async def import_cohort(
    session: AsyncSession,
    cohort_name: str,
    rows: Sequence[CohortRow],
    *,
    now: datetime,
    actor_label: str,
    organizer: str | None = None,
    year: int | None = None,
) -> ImportSummary:
    """Make the cohort match the roster: create, update in place, withdraw who left.

    The caller validated the whole file first and owns the transaction, so a failure here
    leaves nothing half-written. Re-importing an unchanged file writes nothing. Seminar groups
    follow the file when it has a seminar group column (an empty cell takes the person out of
    their group); a file without that column leaves everyone's group as it was.
    """
    summary = ImportSummary(cohort_name=cohort_name.strip())
    cohort = await session.scalar(select(Cohort).where(Cohort.name == summary.cohort_name))
    if cohort is None:
        cohort = Cohort(name=summary.cohort_name, organizer=organizer, year=year or now.year)
        # "PKA Angkatan III" is a PKA cohort: the programme decides the project term.
        cohort.programme = programme_from_name(summary.cohort_name) or "PKN II"
        session.add(cohort)
        await session.flush()
        summary.cohort_created = True
    else:
        if organizer is not None and cohort.organizer != organizer:
            cohort.organizer = organizer
            summary.cohort_updated = True
        if year is not None and cohort.year != year:
            cohort.year = year
            summary.cohort_updated = True

    people = await _upsert_people(session, rows, now, summary)
    await _sync_memberships(session, cohort, rows, people, summary)
    await _sync_assignments(session, cohort, rows, people, summary)
    await _sync_projects(session, cohort, rows, people, now, summary)
    for row in rows:
        summary.by_role[row.role] = summary.by_role.get(row.role, 0) + 1

    if summary.changed:
        audit.record(
            session,
            "cohort.import",
            at=now,
            actor_label=actor_label,
            cohort_id=cohort.id,
            details={
                "rows": len(rows),
                "people_created": summary.people_created,
                "people_updated": summary.people_updated,
                "withdrawn": summary.withdrawn,
            },
        )
    return summary


async def _upsert_people(
    session: AsyncSession, rows: Sequence[CohortRow], now: datetime, summary: ImportSummary
) -> dict[str, Person]:
    nips = [row.nip.digits for row in rows]
    existing = {
        p.nip: p for p in await session.scalars(select(Person).where(Person.nip.in_(nips))) if p.nip
    }
    people: dict[str, Person] = {}
    for row in rows:
        person = existing.get(row.nip.digits)
        if person is None:
            person = Person(
                full_name=row.name,
                nip=row.nip.digits,
                agency=row.agency,
                position=row.position,
                rank=row.rank,
                timezone=row.zone.key,
                phone=row.phone,
                preferred_channel=row.channel,
            )
            session.add(person)
            person.invites.append(Invite(code=new_invite_code()))
            summary.people_created += 1
        else:
            wanted: dict[str, object] = {
                "full_name": row.name,
                "agency": row.agency,
                "position": row.position,
            }
            # A file without a rank column keeps the ranks; with it, an empty cell clears.
            if row.rank_listed:
                wanted["rank"] = row.rank
            # Phone and channel likewise: only a file with the column changes them.
            if row.phone_listed:
                wanted["phone"] = row.phone
            if row.channel_listed:
                wanted["preferred_channel"] = row.channel
            # Once someone has joined, their own /zona choice wins over the roster.
            if person.joined_at is None:
                wanted["timezone"] = row.zone.key
            changed = False
            for attr, value in wanted.items():
                if getattr(person, attr) != value:
                    setattr(person, attr, value)
                    changed = True
            if changed:
                person.updated_at = now
                summary.people_updated += 1
        people[row.nip.digits] = person
    await session.flush()
    return people


async def _sync_memberships(
    session: AsyncSession,
    cohort: Cohort,
    rows: Sequence[CohortRow],
    people: dict[str, Person],
    summary: ImportSummary,
) -> None:
    current = {
        m.person_id: m
        for m in await session.scalars(select(Membership).where(Membership.cohort_id == cohort.id))
    }
    listed: set[int] = set()
    for row in rows:
        person = people[row.nip.digits]
        listed.add(person.id)
        membership = current.get(person.id)
        if membership is None:
            session.add(
                Membership(
                    cohort_id=cohort.id,
                    person_id=person.id,
                    role=row.role,
                    seminar_group=row.seminar_group,
                )
            )
            summary.memberships_changed += 1
            continue
        changed = membership.role != row.role or not membership.active
        if changed:
            membership.role = row.role
            membership.active = True
        # A file without the column leaves groups as they are; with it, an empty cell clears.
        if row.seminar_group_listed and membership.seminar_group != row.seminar_group:
            membership.seminar_group = row.seminar_group
            changed = True
        if changed:
            summary.memberships_changed += 1
    for person_id, membership in current.items():
        if person_id not in listed and membership.active:
            # Withdrawn, not deleted: their reports and feedback stay part of the record.
            membership.active = False
            summary.withdrawn += 1


async def _sync_assignments(
    session: AsyncSession,
    cohort: Cohort,
    rows: Sequence[CohortRow],
    people: dict[str, Person],
    summary: ImportSummary,
) -> None:
    wanted: set[tuple[int, int, AdvisorKind]] = set()
    for row in rows:
        participant = people[row.nip.digits]
        for nip, kind in ((row.mentor_nip, AdvisorKind.MENTOR), (row.coach_nip, AdvisorKind.COACH)):
            if nip:
                wanted.add((participant.id, people[nip].id, kind))
    existing = list(
        await session.scalars(select(Assignment).where(Assignment.cohort_id == cohort.id))
    )
    have = {(a.participant_id, a.advisor_id, a.kind): a for a in existing}
    for key, assignment in have.items():
        if key not in wanted:
            await session.delete(assignment)
            summary.assignments_changed += 1
    for participant_id, advisor_id, kind in sorted(wanted - have.keys()):
        session.add(
            Assignment(
                cohort_id=cohort.id, participant_id=participant_id, advisor_id=advisor_id, kind=kind
            )
        )
        summary.assignments_changed += 1


async def _sync_projects(
    session: AsyncSession,
    cohort: Cohort,
    rows: Sequence[CohortRow],
    people: dict[str, Person],
    now: datetime,
    summary: ImportSummary,
) -> None:
    projects = {
        p.participant_id: p
        for p in await session.scalars(select(Project).where(Project.cohort_id == cohort.id))
    }
    for row in rows:
        if row.role is not Role.PARTICIPANT or not row.project_title:
            continue
        person = people[row.nip.digits]
        project = projects.get(person.id)
        if project is None:
            session.add(
                Project(cohort_id=cohort.id, participant_id=person.id, title=row.project_title)
            )
            summary.projects_changed += 1
        elif project.title != row.project_title:
            project.title = row.project_title
            project.updated_at = now
            summary.projects_changed += 1


@dataclass(frozen=True)
class InviteLine:
    nip: str
    name: str
    role: Role
    code: str
    joined: bool
    # The channel the roster names; None: the person may take either link.
    channel: Channel | None = None

    def link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"

    def whatsapp_link(self, business_number: str) -> str:
        """The wa.me link that opens a chat with the bot with "DAFTAR <code>" typed."""
        return wa_me_link(business_number, f"{WHATSAPP_KEYWORD} {self.code}")

    def links(self, *, bot_username: str | None, whatsapp_number: str | None) -> dict[Channel, str]:
        """The links to hand out: the person's channel's, or every configured one when the
        roster names none. A channel the bot is not set up on falls back to the other."""
        available: dict[Channel, str] = {}
        if bot_username:
            available[Channel.TELEGRAM] = self.link(bot_username)
        if whatsapp_number:
            available[Channel.WHATSAPP] = self.whatsapp_link(whatsapp_number)
        if self.channel in available:
            return {self.channel: available[self.channel]}
        return available


def invite_links_text(t: Translator, links: Mapping[Channel, str], separator: str = " ") -> str:
    """One link as it is; several each named by its channel ("WhatsApp: https://wa.me/…")."""
    if len(links) == 1:
        return next(iter(links.values()))
    named = (t(f"invite.link.{channel.value}", link=link) for channel, link in links.items())
    return separator.join(named)


async def invites_for(session: AsyncSession, cohort_name: str) -> list[InviteLine]:
    """Every active member's invite code, newest code per person, in roster order."""
    cohort = await find_cohort(session, cohort_name)
    result = await session.execute(
        select(Person, Membership.role, Invite)
        .join(Membership, Membership.person_id == Person.id)
        .join(Invite, Invite.person_id == Person.id)
        .where(Membership.cohort_id == cohort.id, Membership.active.is_(True))
        .order_by(Membership.id, Invite.id.desc())
    )
    lines: dict[int, InviteLine] = {}
    for person, role, invite in result.tuples():
        if person.id in lines:
            continue
        lines[person.id] = InviteLine(
            nip=person.nip or "",
            name=person.full_name,
            role=role,
            code=invite.code,
            joined=person.joined,
            channel=person.preferred_channel,
        )
    return list(lines.values())
