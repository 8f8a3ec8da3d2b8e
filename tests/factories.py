"""Builders for test data: small rosters imported through the real import service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.cohort_csv import parse_cohort_csv
from domain.enums import Channel
from domain.roles import Role
from domain.timezones import WIB
from models import ChannelAccount, Person
from models.db import session_factory
from services.cohorts import import_cohort, invites_for
from services.people import person_by_account

COHORT = "PKP Angkatan IV"
HEADER = "role,name,nip,agency,position,timezone,mentor_nip,coach_nip,project_title"


@dataclass(frozen=True)
class Member:
    name: str
    nip: str
    role: Role
    code: str


# A small cohort: two participants (Palembang in WIB, Sofifi in WIT), their mentor and coach,
# an examiner and a second mentor with nobody assigned.
SMALL_ROSTER = "\n".join(
    [
        HEADER,
        "mentor,Dr. Ir. Bambang Wijaya,197005051995031003,Pemprov Sumsel,Sekretaris Daerah,WIB,,,",
        "coach,Dr. Lina Marliani,197209092000122004,BPSDM Sumsel,Widyaiswara,WIB,,,",
        "penguji,Prof. Teguh Santoso,196808081994031005,LAN,Analis Kebijakan,WIB,,,",
        "mentor,Ir. Hasan Basri,198512122010011006,Pemprov Sumsel,Kepala Dinas,WIB,,,",
        "peserta,Budi Santoso,198001152005011001,Dinas Kominfo,Kepala Bidang,WIB,"
        "197005051995031003,197209092000122004,Layanan Aduan Warga Terpadu",
        "peserta,Nurhayati Umasugi,198203102006042002,Dinkes Malut,Kepala Seksi,WIT,"
        "197005051995031003,197209092000122004,Posyandu Digital",
    ]
)


async def import_roster(
    engine: AsyncEngine, now: datetime, roster: str = SMALL_ROSTER, cohort: str = COHORT
) -> dict[str, Member]:
    """Import through the real service; returns members by handle ("budi", "bambang", ...)."""
    rows = parse_cohort_csv(roster.encode(), default_zone=WIB, today=now.date())
    async with session_factory(engine)() as session, session.begin():
        await import_cohort(session, cohort, rows, now=now, actor_label="test", organizer="BPSDM")
        lines = await invites_for(session, cohort)
    members = {}
    for line in lines:
        handle = next(w for w in line.name.split() if not w.endswith(".")).lower()
        members[handle] = Member(line.name, line.nip, line.role, line.code)
    return members


async def add_milestones(
    engine: AsyncEngine,
    participant_nip: str,
    now: datetime,
    milestones: list[tuple[str, int]] | None = None,
) -> list[int]:
    """Milestones through the real service: (title, days from now) pairs; returns their ids."""
    from datetime import timedelta

    from sqlalchemy import select

    from domain.enums import Horizon
    from models import Person
    from services.projects import add_milestone

    milestones = milestones or [("Rapat koordinasi tim efektif", 10), ("Uji coba aplikasi", 30)]
    ids = []
    async with session_factory(engine)() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.nip == participant_nip))
        assert person is not None
        for title, days in milestones:
            milestone = await add_milestone(
                session,
                person.id,
                title=title,
                horizon=Horizon.SHORT,
                due_on=(now + timedelta(days=days)).date(),
                expected_output="Notulen rapat",
                today=now.date(),
                now=now,
            )
            ids.append(milestone.id)
    return ids


def telegram_account(user_id: int, *, reachable: bool = True) -> ChannelAccount:
    """A Telegram account whose private chat is the user's id, as Telegram makes it."""
    return ChannelAccount(
        channel=Channel.TELEGRAM,
        external_user_id=str(user_id),
        chat_ref=str(user_id),
        reachable=reachable,
    )


async def person_on_telegram(session: AsyncSession, user_id: int) -> Person | None:
    """The person bound to this Telegram user, with their accounts."""
    return await person_by_account(session, Channel.TELEGRAM, str(user_id))


def on_telegram(user_id: int) -> ColumnElement[bool]:
    """For a query on Person: bound to this Telegram user."""
    return (
        select(ChannelAccount.id)
        .where(
            ChannelAccount.person_id == Person.id,
            ChannelAccount.channel == Channel.TELEGRAM,
            ChannelAccount.external_user_id == str(user_id),
        )
        .exists()
    )
