"""The web desk's announcements: the compose form read and checked, the preview of who would
get it, sending it once per form, and its status.

Everything goes through services.broadcasts, as /umumkan does in the chat: the same audience
rules, the same "broadcast.create" audit entry and one delivery-queue row per recipient.
A form carries a random token; the audit entry's actor label names it ("web:<token>"), so a
second submit of the same form finds the first announcement instead of making another.
A file goes into the evidence store when the preview is asked for; the forms after it carry
its key, and the sender uploads its bytes to every channel.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import markup
from domain.evidence import MEGABYTE, EvidenceFile, EvidenceRejected, check_evidence
from domain.i18n import Translator
from domain.roles import Role
from domain.text import InvalidText
from models import AuditEntry, Broadcast, Cohort, Person
from services import broadcasts
from services.broadcasts import AUDIENCE_ROLES, Audience, AudiencePlan, Summary
from services.errors import UserFacingError
from services.groups import active_groups
from services.web_desk import NotVisible
from storage.evidence_store import EvidenceStore

ACTOR_PREFIX = "web:"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Sent as a photo (shown in the chat) by both channels; any other accepted type is a document.
PHOTO_MIME_TYPES = frozenset({"image/jpeg", "image/jpg", "image/pjpeg", "image/png"})
_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_ROLES = {role.value: role for role in AUDIENCE_ROLES}


def new_token() -> str:
    return secrets.token_hex(16)


def token_ok(token: object) -> bool:
    return isinstance(token, str) and _TOKEN.match(token) is not None


@dataclass(frozen=True)
class AnnouncementFile:
    """A file to go with the announcement, already in the evidence store."""

    kind: str  # "photo" or "document"
    sha256: str
    file_name: str
    size: int

    def to_attachment(self) -> dict[str, Any]:
        return {"kind": self.kind, "sha256": self.sha256, "file_name": self.file_name}

    @classmethod
    def carried(
        cls, kind: object, sha256: object, name: object, size: object
    ) -> AnnouncementFile | None:
        """The file as the preview's hidden fields carry it; None when they are not a file."""
        if kind not in ("photo", "document") or not isinstance(sha256, str):
            return None
        if not _SHA256.match(sha256) or not isinstance(name, str) or not isinstance(size, str):
            return None
        if not size.isdigit():
            return None
        return cls(str(kind), sha256, _clean_name(name), int(size))


@dataclass(frozen=True)
class AnnouncementForm:
    """The form as the organizer filled it in, so a refused one comes back as typed."""

    text: str = ""
    roles: frozenset[Role] = frozenset(AUDIENCE_ROLES)
    seminar_group: str = ""  # "" is the whole cohort
    groups: bool = False
    file: AnnouncementFile | None = None

    @property
    def audience(self) -> Audience:
        return Audience(
            roles=self.roles, seminar_group=self.seminar_group or None, groups=self.groups
        )

    def has(self, role: Role) -> bool:
        return role in self.roles


def form_from(
    text: object,
    roles: Sequence[object],
    seminar_group: object,
    groups: object,
    file: AnnouncementFile | None = None,
) -> AnnouncementForm:
    """The fields as posted; unknown roles are ignored (only the offered ones can be chosen)."""
    return AnnouncementForm(
        text=text if isinstance(text, str) else "",
        roles=frozenset(_ROLES[r] for r in roles if isinstance(r, str) and r in _ROLES),
        seminar_group=seminar_group if isinstance(seminar_group, str) else "",
        groups=groups == "1",
        file=file,
    )


def _clean_name(name: str) -> str:
    """A file name to show and to send: no folders, no control characters, not too long."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(c for c in base if c.isprintable()).strip()
    return printable[-120:] or "lampiran"


async def store_upload(
    store: EvidenceStore, data: bytes, file_name: str, content_type: str | None, *, max_bytes: int
) -> AnnouncementFile | Problem:
    """An uploaded file checked (the types taken as evidence in the chat, at most `max_bytes`)
    and kept in the evidence store; the content decides photo or document, not the name."""
    name = _clean_name(file_name)
    claimed = (content_type or "").split(";", 1)[0].strip().lower()
    sniffed = next((mime for magic, mime in _MAGIC.items() if data.startswith(magic)), None)
    try:
        check_evidence(
            EvidenceFile("document", file_name=name, mime_type=sniffed or claimed, size=len(data)),
            max_bytes=max_bytes,
        )
    except EvidenceRejected as exc:
        if exc.code == "evidence.error.too_large":
            return Problem("web.announce.error.file_size", {"mb": max_bytes // MEGABYTE})
        return Problem("web.announce.error.file_type", {"name": name})
    if not data:
        return Problem("web.announce.error.file_empty", {"name": name})
    stored = await store.put(data)
    kind = "photo" if sniffed in PHOTO_MIME_TYPES else "document"
    return AnnouncementFile(kind=kind, sha256=stored.sha256, file_name=name, size=len(data))


@dataclass(frozen=True)
class Choices:
    """What the audience part of the form offers for a cohort."""

    seminar_groups: list[str]
    group_chats: int


async def choices(session: AsyncSession, cohort_id: int) -> Choices:
    return Choices(
        seminar_groups=await broadcasts.seminar_groups(session, cohort_id),
        group_chats=len(await active_groups(session, cohort_id)),
    )


@dataclass(frozen=True)
class Problem:
    key: str
    params: dict[str, object]


@dataclass(frozen=True)
class Preview:
    """The message as recipients read it (catalog markup) and who would get it."""

    message: str
    plan: AudiencePlan
    role_counts: list[tuple[Role, int]]


async def _author_name(session: AsyncSession, person_id: int) -> str:
    person = await session.get_one(Person, person_id)
    return person.full_name


async def preview(
    session: AsyncSession,
    cohort: Cohort,
    author_id: int,
    form: AnnouncementForm,
    t: Translator,
) -> Preview | Problem:
    """The checks `create_broadcast` makes, before anything is written."""
    author = await _author_name(session, author_id)
    try:
        cleaned = broadcasts.check_text(
            form.text, cohort.name, author, with_file=form.file is not None
        )
    except InvalidText as exc:
        return Problem(exc.code, dict(exc.params))
    if not form.roles:
        return Problem("broadcast.error.no_roles", {})
    offered = await choices(session, cohort.id)
    if form.seminar_group and form.seminar_group not in offered.seminar_groups:
        return Problem("web.announce.error.group", {})
    plan = await broadcasts.resolve_audience(
        session, cohort.id, form.audience, exclude_person_id=author_id
    )
    if plan.reachable == 0 and not plan.not_joined:
        return Problem("broadcast.error.no_recipients", {"not_joined": 0})
    key, params = broadcasts.compose(cohort.name, author, cleaned)
    return Preview(
        message=t(key, **markup.escape_params(params)),
        plan=plan,
        role_counts=list(broadcasts.role_counts(plan)),
    )


async def send(
    session: AsyncSession,
    cohort_id: int,
    author_id: int,
    form: AnnouncementForm,
    token: str,
    now: datetime,
) -> int:
    """The announcement's id: made and queued now, or the one this form made before.

    The cohort row is locked first (PostgreSQL), so two submits of one form at the same
    moment are taken one after the other and the second finds the first's audit entry.
    UserFacingError when the checks of `create_broadcast` refuse it.
    """
    await session.execute(select(Cohort.id).where(Cohort.id == cohort_id).with_for_update())
    label = ACTOR_PREFIX + token
    earlier = await session.scalar(
        select(AuditEntry.details)
        .where(
            AuditEntry.action == "broadcast.create",
            AuditEntry.cohort_id == cohort_id,
            AuditEntry.actor_label == label,
        )
        .limit(1)
    )
    if earlier is not None:
        return int(earlier["broadcast_id"])
    if form.seminar_group and form.seminar_group not in await broadcasts.seminar_groups(
        session, cohort_id
    ):
        raise UserFacingError("web.announce.error.group")
    queued = await broadcasts.create_broadcast(
        session,
        cohort_id=cohort_id,
        author_id=author_id,
        text=form.text,
        audience=form.audience,
        now=now,
        attachment=form.file.to_attachment() if form.file else None,
        actor_label=label,
    )
    return queued.broadcast_id


@dataclass(frozen=True)
class Status:
    broadcast: Broadcast
    summary: Summary


async def status(session: AsyncSession, cohort_id: int, broadcast_id: int) -> Status:
    """An announcement of this cohort with its counts and who was not reached, and why;
    NotVisible for another cohort's."""
    found = await session.get(Broadcast, broadcast_id)
    if found is None or found.cohort_id != cohort_id:
        raise NotVisible()
    return Status(found, await broadcasts.summary(session, broadcast_id))


async def recent(session: AsyncSession, cohort_id: int, limit: int = 20) -> list[Broadcast]:
    """The cohort's latest announcements, newest first."""
    return list(
        await session.scalars(
            select(Broadcast)
            .where(Broadcast.cohort_id == cohort_id)
            .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
            .limit(limit)
        )
    )
