"""Seminar scores: the cohort's criteria, examiners' score sheets, release, and what each may see.

An examiner (penguji) scores each presenter of the seminars they examine, criterion by
criterion; every answer is saved at once as a draft, and "Kirim nilai" submits the sheet,
which is fixed from then on. Organizers see who has scored and release the scores; a
presenter sees their own scores only after the release, and nobody else's ever.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.enums import SeminarKind, SeminarStatus
from domain.project_term import ProjectTerm, project_term
from domain.scoring import (
    MAX_COMMENT,
    Criterion,
    InvalidScoring,
    ScoreSheetStatus,
    cohort_criteria,
    mean_total,
    parse_criteria,
    weighted_total,
)
from domain.scoring import SETTINGS_KEY as CRITERIA_KEY
from domain.text import InvalidText, clean_user_text
from models import (
    Cohort,
    CriterionScore,
    Person,
    Project,
    ScoreSheet,
    Seminar,
    SeminarPresenter,
)
from services import audit, outbox, overview, projects
from services.errors import UserFacingError
from services.outbox import Outgoing
from services.seminars import Organizer, managed_cohorts, managed_seminar

RECENT_REPORTS = 3
OUTBOX_KIND = "seminar_scores"


class NotYourSeminar(UserFacingError):
    """A seminar or presenter id the examiner does not examine: forged, stale or someone else's.

    One message for every case, so a guessed id tells nothing about what exists."""

    def __init__(self) -> None:
        super().__init__("scores.error.not_yours")


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreItem:
    position: int
    criterion: str
    weight: int
    score: int | None


@dataclass(frozen=True)
class SheetView:
    """One examiner's sheet for one presenter, stored or (not begun yet) as it would start."""

    seminar_id: int
    presenter_id: int
    presenter_name: str
    examiner_id: int
    examiner_name: str
    status: ScoreSheetStatus | None  # None: not begun
    comment: str | None
    items: tuple[ScoreItem, ...]
    submitted_at: datetime | None = None

    @property
    def total(self) -> Decimal | None:
        return weighted_total([(i.weight, i.score) for i in self.items])

    @property
    def complete(self) -> bool:
        return all(i.score is not None for i in self.items)

    @property
    def submitted(self) -> bool:
        return self.status is ScoreSheetStatus.SUBMITTED


@dataclass(frozen=True)
class SeminarHeader:
    id: int
    cohort_id: int
    cohort_name: str
    kind: SeminarKind
    status: SeminarStatus
    starts_at: datetime
    zone: ZoneInfo
    place: str | None
    link: str | None
    released_at: datetime | None

    @property
    def where(self) -> str:
        return " · ".join(part for part in (self.place, self.link) if part)


@dataclass(frozen=True)
class PresenterLine:
    id: int
    name: str
    status: ScoreSheetStatus | None  # of the examiner's own sheet
    total: Decimal | None


@dataclass(frozen=True)
class ExaminerSeminar:
    seminar: SeminarHeader
    presenters: list[PresenterLine]


@dataclass(frozen=True)
class RecentReport:
    milestone: str
    percent: int
    submitted_at: datetime
    text: str


@dataclass(frozen=True)
class PresenterBrief:
    """What an examiner reads about a presenter before scoring: project, milestones, reports."""

    seminar: SeminarHeader
    presenter_id: int
    name: str
    agency: str | None
    project_title: str | None
    term: ProjectTerm
    milestones: list[projects.MilestoneView]
    recent: list[RecentReport]


@dataclass(frozen=True)
class PresenterScores:
    """All sheets for one presenter at one seminar: what the organizer and berita acara show."""

    presenter_id: int
    name: str
    nip: str | None
    project_title: str | None
    sheets: list[SheetView]  # one per examiner, begun or not

    @property
    def final(self) -> Decimal | None:
        """The mean of the submitted totals; None until every examiner has submitted."""
        if not self.sheets or not all(s.submitted for s in self.sheets):
            return None
        return mean_total([s.total for s in self.sheets if s.total is not None])


@dataclass(frozen=True)
class SeminarScores:
    seminar: SeminarHeader
    programme: str
    organizer: str | None
    term: ProjectTerm
    examiners: list[str]
    presenters: list[PresenterScores]
    criteria: tuple[Criterion, ...] = field(default=())

    @property
    def expected(self) -> int:
        return sum(len(p.sheets) for p in self.presenters)

    @property
    def submitted(self) -> int:
        return sum(1 for p in self.presenters for s in p.sheets if s.submitted)


@dataclass(frozen=True)
class OwnResult:
    """A presenter's own seminar: the scores once released, else only that they are not yet."""

    seminar: SeminarHeader
    released: bool
    sheets: list[SheetView]

    @property
    def final(self) -> Decimal | None:
        return mean_total([s.total for s in self.sheets if s.total is not None])


# --- criteria -----------------------------------------------------------------------------------


async def criteria_of(session: AsyncSession, cohort_id: int) -> tuple[Criterion, ...]:
    """The cohort's scoring criteria (its setting, or the default set for its programme)."""
    cohort = await session.get_one(Cohort, cohort_id)
    return _criteria(cohort)


def _criteria(cohort: Cohort) -> tuple[Criterion, ...]:
    settings = cohort.settings or {}
    try:
        term = project_term(cohort.programme, settings)
    except ValueError:
        term = ProjectTerm.PROYEK_PERUBAHAN
    try:
        return cohort_criteria(settings, term)
    except InvalidScoring as exc:
        # Written by hand into the database: refuse scoring with the reason, never guess.
        raise UserFacingError(exc.code, **exc.params) from None


async def set_criteria(
    session: AsyncSession, cohort_id: int, raw: object, *, by: Organizer, now: datetime
) -> tuple[Criterion, ...]:
    """Replace the cohort's criteria after validating them (see domain.scoring.parse_criteria).

    Sheets already begun keep the criteria they started with."""
    cohort = await _managed_cohort(session, cohort_id, by)
    try:
        criteria = parse_criteria(raw)
    except InvalidScoring as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    settings = dict(cohort.settings or {})
    settings[CRITERIA_KEY] = [c.as_setting() for c in criteria]
    cohort.settings = settings  # a new dict: JSON columns notice reassignment, not mutation
    audit.record(
        session,
        "seminar.criteria",
        at=now,
        actor_id=by.person_id,
        actor_label=by.label,
        cohort_id=cohort.id,
        details={"criteria": settings[CRITERIA_KEY]},
    )
    return criteria


async def _managed_cohort(session: AsyncSession, cohort_id: int, by: Organizer) -> Cohort:
    if cohort_id not in {c.id for c in await managed_cohorts(session, by)}:
        raise UserFacingError("seminar.error.not_yours")
    return await session.get_one(Cohort, cohort_id)


# --- reading helpers -----------------------------------------------------------------------------


async def _headers(session: AsyncSession, seminars: Sequence[Seminar]) -> dict[int, SeminarHeader]:
    names = dict(
        (
            await session.execute(
                select(Cohort.id, Cohort.name).where(Cohort.id.in_({s.cohort_id for s in seminars}))
            )
        )
        .tuples()
        .all()
    )
    return {
        s.id: SeminarHeader(
            id=s.id,
            cohort_id=s.cohort_id,
            cohort_name=names.get(s.cohort_id, ""),
            kind=s.kind,
            status=s.status,
            starts_at=s.starts_at,
            zone=ZoneInfo(s.timezone),
            place=s.place,
            link=s.online_link,
            released_at=s.scores_released_at,
        )
        for s in seminars
    }


async def _presenters(session: AsyncSession, seminar_id: int) -> list[Person]:
    return list(
        await session.scalars(
            select(Person)
            .join(SeminarPresenter, SeminarPresenter.participant_id == Person.id)
            .where(SeminarPresenter.seminar_id == seminar_id)
            .order_by(Person.full_name, Person.id)
        )
    )


async def _sheets(
    session: AsyncSession, seminar_ids: Iterable[int], *, examiner_id: int | None = None
) -> list[ScoreSheet]:
    query = (
        select(ScoreSheet)
        .where(ScoreSheet.seminar_id.in_(list(seminar_ids)))
        .options(selectinload(ScoreSheet.scores))
        .order_by(ScoreSheet.id)
    )
    if examiner_id is not None:
        query = query.where(ScoreSheet.examiner_id == examiner_id)
    return list(await session.scalars(query))


def _items(sheet: ScoreSheet | None, criteria: Sequence[Criterion]) -> tuple[ScoreItem, ...]:
    if sheet is None:
        return tuple(
            ScoreItem(position=i, criterion=c.name, weight=c.weight, score=None)
            for i, c in enumerate(criteria, start=1)
        )
    return tuple(ScoreItem(s.position, s.criterion, s.weight, s.score) for s in sheet.scores)


def _view(
    sheet: ScoreSheet | None,
    *,
    seminar_id: int,
    presenter: tuple[int, str],
    examiner: tuple[int, str],
    criteria: Sequence[Criterion],
) -> SheetView:
    return SheetView(
        seminar_id=seminar_id,
        presenter_id=presenter[0],
        presenter_name=presenter[1],
        examiner_id=examiner[0],
        examiner_name=examiner[1],
        status=sheet.status if sheet is not None else None,
        comment=sheet.comment if sheet is not None else None,
        items=_items(sheet, criteria),
        submitted_at=sheet.submitted_at if sheet is not None else None,
    )


async def _project_titles(
    session: AsyncSession, cohort_id: int, person_ids: Iterable[int]
) -> dict[int, str]:
    rows = await session.execute(
        select(Project.participant_id, Project.title).where(
            Project.cohort_id == cohort_id, Project.participant_id.in_(list(person_ids))
        )
    )
    return {pid: title for pid, title in rows.tuples() if title}


# --- the examiner -------------------------------------------------------------------------------


async def examiner_seminars(session: AsyncSession, examiner_id: int) -> list[ExaminerSeminar]:
    """The seminars this person examines (not cancelled), soonest first, with each presenter
    and where the examiner's own sheet for them stands."""
    seminars = list(
        await session.scalars(
            select(Seminar)
            .where(Seminar.examiner_id == examiner_id, Seminar.status != SeminarStatus.CANCELLED)
            .order_by(Seminar.starts_at, Seminar.id)
        )
    )
    if not seminars:
        return []
    headers = await _headers(session, seminars)
    sheets = {
        (s.seminar_id, s.presenter_id): s
        for s in await _sheets(session, headers, examiner_id=examiner_id)
    }
    result = []
    for seminar in seminars:
        lines = []
        for person in await _presenters(session, seminar.id):
            sheet = sheets.get((seminar.id, person.id))
            lines.append(
                PresenterLine(
                    id=person.id,
                    name=person.full_name,
                    status=sheet.status if sheet else None,
                    total=weighted_total([(s.weight, s.score) for s in sheet.scores])
                    if sheet
                    else None,
                )
            )
        result.append(ExaminerSeminar(seminar=headers[seminar.id], presenters=lines))
    return result


async def _examined(
    session: AsyncSession, seminar_id: int, presenter_id: int, examiner_id: int
) -> tuple[Seminar, Person]:
    """The seminar and presenter, if this person examines that seminar and they present there."""
    seminar = await session.get(Seminar, seminar_id)
    if (
        seminar is None
        or seminar.examiner_id != examiner_id
        or seminar.status is SeminarStatus.CANCELLED
    ):
        raise NotYourSeminar()
    presents = await session.scalar(
        select(SeminarPresenter.participant_id).where(
            SeminarPresenter.seminar_id == seminar_id,
            SeminarPresenter.participant_id == presenter_id,
        )
    )
    if presents is None:
        raise NotYourSeminar()
    return seminar, await session.get_one(Person, presenter_id)


async def presenter_brief(
    session: AsyncSession, seminar_id: int, presenter_id: int, examiner_id: int
) -> PresenterBrief:
    """The presenter's project, milestones and newest reports, for their examiner only."""
    seminar, person = await _examined(session, seminar_id, presenter_id, examiner_id)
    header = (await _headers(session, [seminar]))[seminar.id]
    cohort = await session.get_one(Cohort, seminar.cohort_id)
    titles = await _project_titles(session, seminar.cohort_id, [presenter_id])
    milestones: list[projects.MilestoneView] = []
    if presenter_id in titles or await _has_project(session, seminar.cohort_id, presenter_id):
        try:
            milestones = (await projects.project_view(session, presenter_id)).milestones
        except UserFacingError:
            milestones = []  # withdrawn from the cohort since: the title still shows
    # The timeline's own check is for advisors; the examiner's right was checked above.
    page = await overview.timeline(session, presenter_id, presenter_id, 0, RECENT_REPORTS)
    try:
        term = project_term(cohort.programme, cohort.settings)
    except ValueError:
        term = ProjectTerm.PROYEK_PERUBAHAN
    return PresenterBrief(
        seminar=header,
        presenter_id=presenter_id,
        name=person.full_name,
        agency=person.agency,
        project_title=titles.get(presenter_id),
        term=term,
        milestones=milestones,
        recent=[
            RecentReport(e.milestone_title, e.percent, e.submitted_at, e.text) for e in page.entries
        ],
    )


async def _has_project(session: AsyncSession, cohort_id: int, participant_id: int) -> bool:
    found = await session.scalar(
        select(Project.id).where(
            Project.cohort_id == cohort_id, Project.participant_id == participant_id
        )
    )
    return found is not None


async def examiner_sheet(
    session: AsyncSession, seminar_id: int, presenter_id: int, examiner_id: int
) -> SheetView:
    """The examiner's sheet for a presenter: saved scores, or the cohort's criteria unscored."""
    seminar, person = await _examined(session, seminar_id, presenter_id, examiner_id)
    sheet = await _find_sheet(session, seminar_id, presenter_id, examiner_id)
    examiner = await session.get_one(Person, examiner_id)
    criteria = () if sheet is not None else await criteria_of(session, seminar.cohort_id)
    return _view(
        sheet,
        seminar_id=seminar_id,
        presenter=(person.id, person.full_name),
        examiner=(examiner.id, examiner.full_name),
        criteria=criteria,
    )


async def _find_sheet(
    session: AsyncSession, seminar_id: int, presenter_id: int, examiner_id: int
) -> ScoreSheet | None:
    return await session.scalar(
        select(ScoreSheet)
        .where(
            ScoreSheet.seminar_id == seminar_id,
            ScoreSheet.presenter_id == presenter_id,
            ScoreSheet.examiner_id == examiner_id,
        )
        .options(selectinload(ScoreSheet.scores))
    )


async def _editable_sheet(
    session: AsyncSession, seminar_id: int, presenter_id: int, examiner_id: int, now: datetime
) -> ScoreSheet:
    """The examiner's draft, begun now with the cohort's criteria if there is none; refused
    once submitted or released."""
    seminar, _ = await _examined(session, seminar_id, presenter_id, examiner_id)
    if seminar.scores_released_at is not None:
        raise UserFacingError("scores.error.released")
    sheet = await _find_sheet(session, seminar_id, presenter_id, examiner_id)
    if sheet is None:
        criteria = await criteria_of(session, seminar.cohort_id)
        sheet = ScoreSheet(
            seminar_id=seminar_id,
            presenter_id=presenter_id,
            examiner_id=examiner_id,
            status=ScoreSheetStatus.DRAFT,
            created_at=now,
            updated_at=now,
            scores=[
                CriterionScore(position=i, criterion=c.name, weight=c.weight, score=None)
                for i, c in enumerate(criteria, start=1)
            ],
        )
        session.add(sheet)
        await session.flush()
    elif sheet.status is ScoreSheetStatus.SUBMITTED:
        raise UserFacingError("scores.error.submitted")
    return sheet


async def set_score(
    session: AsyncSession,
    seminar_id: int,
    presenter_id: int,
    examiner_id: int,
    position: int,
    score: int,
    *,
    now: datetime,
) -> SheetView:
    """Save one criterion's score (0-100) in the examiner's draft."""
    if not 0 <= score <= 100:
        raise UserFacingError("scores.error.range", min=0, max=100)
    sheet = await _editable_sheet(session, seminar_id, presenter_id, examiner_id, now)
    item = next((s for s in sheet.scores if s.position == position), None)
    if item is None:
        raise NotYourSeminar()  # a criterion number no button offered
    item.score = score
    sheet.updated_at = now
    await session.flush()
    return await examiner_sheet(session, seminar_id, presenter_id, examiner_id)


async def set_comment(
    session: AsyncSession,
    seminar_id: int,
    presenter_id: int,
    examiner_id: int,
    text: str,
    *,
    now: datetime,
) -> SheetView:
    """Save the examiner's comment on the presenter in the draft."""
    try:
        cleaned = clean_user_text(text, limit=MAX_COMMENT)
    except InvalidText as exc:
        raise UserFacingError(exc.code, **exc.params) from None
    sheet = await _editable_sheet(session, seminar_id, presenter_id, examiner_id, now)
    sheet.comment = cleaned
    sheet.updated_at = now
    await session.flush()
    return await examiner_sheet(session, seminar_id, presenter_id, examiner_id)


async def submit_sheet(
    session: AsyncSession, seminar_id: int, presenter_id: int, examiner_id: int, *, now: datetime
) -> SheetView:
    """Submit the examiner's sheet: every criterion scored; it cannot be changed afterwards."""
    sheet = await _editable_sheet(session, seminar_id, presenter_id, examiner_id, now)
    seminar = await session.get_one(Seminar, seminar_id)
    # Drafts may be filled while reading the materials; scores count once the presenter has
    # presented.
    if now < seminar.starts_at:
        raise UserFacingError("scores.error.not_held_yet", id=seminar_id)
    missing = [str(s.position) for s in sheet.scores if s.score is None]
    if missing:
        raise UserFacingError("scores.error.incomplete", numbers=", ".join(missing))
    sheet.status = ScoreSheetStatus.SUBMITTED
    sheet.submitted_at = now
    sheet.updated_at = now
    total = weighted_total([(s.weight, s.score) for s in sheet.scores])
    audit.record(
        session,
        "seminar.scores.submit",
        at=now,
        actor_id=examiner_id,
        cohort_id=seminar.cohort_id,
        details={
            "seminar_id": seminar_id,
            "presenter_id": presenter_id,
            "total": str(total) if total is not None else None,
        },
    )
    await session.flush()
    return await examiner_sheet(session, seminar_id, presenter_id, examiner_id)


# --- the organizer ------------------------------------------------------------------------------


async def _examiner_ids(session: AsyncSession, seminar: Seminar) -> list[int]:
    """The seminar's examiner, and anyone else who holds a sheet for it."""
    ids = [seminar.examiner_id] if seminar.examiner_id is not None else []
    for examiner_id in await session.scalars(
        select(ScoreSheet.examiner_id)
        .where(ScoreSheet.seminar_id == seminar.id)
        .distinct()
        .order_by(ScoreSheet.examiner_id)
    ):
        if examiner_id not in ids:
            ids.append(examiner_id)
    return ids


async def _seminar_scores(session: AsyncSession, seminar: Seminar) -> SeminarScores:
    header = (await _headers(session, [seminar]))[seminar.id]
    cohort = await session.get_one(Cohort, seminar.cohort_id)
    examiner_ids = await _examiner_ids(session, seminar)
    examiners = dict(
        (
            await session.execute(
                select(Person.id, Person.full_name).where(Person.id.in_(examiner_ids))
            )
        )
        .tuples()
        .all()
    )
    people = await _presenters(session, seminar.id)
    titles = await _project_titles(session, seminar.cohort_id, [p.id for p in people])
    sheets = {(s.presenter_id, s.examiner_id): s for s in await _sheets(session, [seminar.id])}
    try:
        criteria = _criteria(cohort)
    except UserFacingError:
        criteria = ()
    try:
        term = project_term(cohort.programme, cohort.settings)
    except ValueError:
        term = ProjectTerm.PROYEK_PERUBAHAN
    presenters = [
        PresenterScores(
            presenter_id=p.id,
            name=p.full_name,
            nip=p.nip,
            project_title=titles.get(p.id),
            sheets=[
                _view(
                    sheets.get((p.id, e)),
                    seminar_id=seminar.id,
                    presenter=(p.id, p.full_name),
                    examiner=(e, examiners.get(e, "-")),
                    criteria=criteria,
                )
                for e in examiner_ids
            ],
        )
        for p in people
    ]
    return SeminarScores(
        seminar=header,
        programme=cohort.programme,
        organizer=cohort.organizer,
        term=term,
        examiners=[examiners.get(e, "-") for e in examiner_ids],
        presenters=presenters,
        criteria=criteria,
    )


async def seminar_scores(session: AsyncSession, seminar_id: int, by: Organizer) -> SeminarScores:
    """Who has scored whom at a seminar the organizer manages, with every sheet (the organizer
    sees drafts as drafts: their scores count only once submitted)."""
    await managed_seminar(session, seminar_id, by)
    return await _seminar_scores(session, await session.get_one(Seminar, seminar_id))


async def scoring_seminars(session: AsyncSession, by: Organizer) -> list[SeminarScores]:
    """The organizer's seminars that are not cancelled, newest first, with their scoring state."""
    cohort_ids = [c.id for c in await managed_cohorts(session, by)]
    seminars = list(
        await session.scalars(
            select(Seminar)
            .where(Seminar.cohort_id.in_(cohort_ids), Seminar.status != SeminarStatus.CANCELLED)
            .order_by(Seminar.starts_at.desc(), Seminar.id.desc())
        )
    )
    return [await _seminar_scores(session, s) for s in seminars]


async def release_scores(
    session: AsyncSession, seminar_id: int, *, by: Organizer, now: datetime
) -> SeminarScores:
    """Let the presenters see their scores: only when every examiner has submitted for every
    presenter; audited, and each presenter is told."""
    await managed_seminar(session, seminar_id, by)
    seminar = await session.get_one(Seminar, seminar_id)
    if seminar.status is SeminarStatus.CANCELLED:
        raise UserFacingError("seminar.error.cancelled", id=seminar_id)
    if seminar.scores_released_at is not None:
        raise UserFacingError("scores.error.already_released", id=seminar_id)
    if now < seminar.starts_at:
        raise UserFacingError("scores.error.release_not_held_yet", id=seminar_id)
    scores = await _seminar_scores(session, seminar)
    missing = [
        f"{p.name} ({s.examiner_name})"
        for p in scores.presenters
        for s in p.sheets
        if not s.submitted
    ]
    if not scores.presenters or not scores.expected:
        raise UserFacingError("scores.error.nothing_to_release", id=seminar_id)
    if missing:
        raise UserFacingError("scores.error.not_all_submitted", missing="; ".join(missing))
    seminar.scores_released_at = now
    seminar.updated_at = now
    audit.record(
        session,
        "seminar.scores.release",
        at=now,
        actor_id=by.person_id,
        actor_label=by.label,
        cohort_id=seminar.cohort_id,
        details={
            "seminar_id": seminar.id,
            "kind": seminar.kind.value,
            "presenters": [p.presenter_id for p in scores.presenters],
        },
    )
    for presenter in scores.presenters:
        await outbox.enqueue(
            session,
            dedup_key=f"scores:{seminar.id}:released:{presenter.presenter_id}",
            message=Outgoing(
                "scores.msg.released",
                {
                    "kind": {"key": f"seminar.kind.inline.{seminar.kind.value}", "params": {}},
                    "at": seminar.starts_at,
                },
            ),
            not_before=now,
            kind=OUTBOX_KIND,
            recipient_id=presenter.presenter_id,
            cohort_id=seminar.cohort_id,
        )
    await session.flush()
    return await _seminar_scores(session, seminar)


async def berita_acara(session: AsyncSession, seminar_id: int, by: Organizer) -> SeminarScores:
    """What the berita acara prints: the seminar, its presenters with every examiner's sheet."""
    return await seminar_scores(session, seminar_id, by)


def record_berita_acara(
    session: AsyncSession,
    scores: SeminarScores,
    *,
    at: datetime,
    actor_id: int | None = None,
    actor_label: str | None = None,
) -> None:
    """The audit entry of a berita acara copy: scores are personal data, who took them counts."""
    audit.record(
        session,
        "seminar.berita_acara",
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        cohort_id=scores.seminar.cohort_id,
        details={
            "seminar_id": scores.seminar.id,
            "released": scores.seminar.released_at is not None,
        },
    )


# --- the presenter ------------------------------------------------------------------------------


async def own_results(session: AsyncSession, participant_id: int) -> list[OwnResult]:
    """The seminars this participant presented at (not cancelled), newest first: their own
    submitted sheets once released; before the release, nothing but that fact."""
    seminars = list(
        await session.scalars(
            select(Seminar)
            .join(SeminarPresenter, SeminarPresenter.seminar_id == Seminar.id)
            .where(
                SeminarPresenter.participant_id == participant_id,
                Seminar.status != SeminarStatus.CANCELLED,
            )
            .order_by(Seminar.starts_at.desc(), Seminar.id.desc())
        )
    )
    if not seminars:
        return []
    headers = await _headers(session, seminars)
    released = [s.id for s in seminars if s.scores_released_at is not None]
    person = await session.get_one(Person, participant_id)
    sheets: dict[int, list[SheetView]] = {}
    if released:
        rows = [
            sheet
            for sheet in await _sheets(session, released)
            # Only their own, and only what an examiner sent: drafts never leave the examiner.
            if sheet.presenter_id == participant_id and sheet.status is ScoreSheetStatus.SUBMITTED
        ]
        names = dict(
            (
                await session.execute(
                    select(Person.id, Person.full_name).where(
                        Person.id.in_({r.examiner_id for r in rows})
                    )
                )
            )
            .tuples()
            .all()
        )
        for sheet in rows:
            sheets.setdefault(sheet.seminar_id, []).append(
                _view(
                    sheet,
                    seminar_id=sheet.seminar_id,
                    presenter=(participant_id, person.full_name),
                    examiner=(sheet.examiner_id, names.get(sheet.examiner_id, "-")),
                    criteria=(),
                )
            )
    return [
        OwnResult(
            seminar=headers[s.id],
            released=s.scores_released_at is not None,
            sheets=sheets.get(s.id, []) if s.scores_released_at is not None else [],
        )
        for s in seminars
    ]


# --- the export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    """One submitted sheet, for the cohort export."""

    seminar_id: int
    kind: SeminarKind
    starts_at: datetime
    presenter: str
    examiner: str
    items: tuple[ScoreItem, ...]
    total: Decimal | None
    comment: str | None
    submitted_at: datetime | None
    released_at: datetime | None


async def export_rows(session: AsyncSession, cohort_id: int) -> list[ScoreRow]:
    """Every submitted sheet of the cohort's seminars, by seminar, presenter and examiner."""
    rows = await session.execute(
        select(ScoreSheet, Seminar)
        .join(Seminar, Seminar.id == ScoreSheet.seminar_id)
        .where(
            Seminar.cohort_id == cohort_id,
            ScoreSheet.status == ScoreSheetStatus.SUBMITTED,
        )
        .options(selectinload(ScoreSheet.scores))
        .order_by(Seminar.starts_at, Seminar.id, ScoreSheet.presenter_id, ScoreSheet.examiner_id)
    )
    pairs = list(rows.tuples())
    ids = {s.presenter_id for s, _ in pairs} | {s.examiner_id for s, _ in pairs}
    names: dict[int, str] = {}
    if ids:
        names = dict(
            (await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids))))
            .tuples()
            .all()
        )
    result = []
    for sheet, seminar in pairs:
        items = _items(sheet, ())
        result.append(
            ScoreRow(
                seminar_id=seminar.id,
                kind=seminar.kind,
                starts_at=seminar.starts_at,
                presenter=names.get(sheet.presenter_id, "-"),
                examiner=names.get(sheet.examiner_id, "-"),
                items=items,
                total=weighted_total([(i.weight, i.score) for i in items]),
                comment=sheet.comment,
                submitted_at=sheet.submitted_at,
                released_at=seminar.scores_released_at,
            )
        )
    return result
