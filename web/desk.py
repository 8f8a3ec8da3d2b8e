"""The organizer web desk under /dasbor: sign-in by a one-time link from /dasbor in the chat,
cohorts and their overview, participant timelines with evidence, the roster upload with its
preview, and the downloads (export XLSX, roster template, portfolio PDF).

Handlers only read the request, open one database session, call services/ and documents/,
and render a template; access is decided by services.web_desk, whose NotVisible is a 404.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import dataclasses
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from domain import markup
from domain.clock import Clock
from domain.cohort_csv import CohortFileError, CohortRow, describe_problem
from domain.enums import Channel, SeminarKind
from domain.i18n import (
    SUPPORTED_LANGUAGES,
    Translator,
    format_date,
    format_datetime,
    format_time,
    translator,
)
from domain.project_term import ProjectTerm, term_for_programme
from domain.roles import Role
from domain.roster_xlsx import parse_roster
from domain.timezones import ZONES_BY_LABEL, zone_label
from models import Cohort
from models.db import session_factory
from services import (
    audit,
    portfolio,
    web_announcements,
    web_audit,
    web_login,
    web_seminars,
    web_settings,
)
from services.broadcasts import AUDIENCE_ROLES
from services.cohorts import InviteLine, import_cohort, invite_links_text
from services.errors import UserFacingError
from services.exports import cohort_export, record_export
from services.overview import advisee_summaries
from services.seminars import Organizer, SeminarView
from services.web_desk import (
    NotVisible,
    Viewer,
    cohort_overview,
    cohorts_of,
    evidence_file,
    evidence_of_reports,
    load_viewer,
    managed,
    participant_portfolio,
    roster_changes,
)
from storage.evidence_store import EvidenceStore
from web.markup import web_html
from web.qr import qr_svg
from web.security import (
    COOKIE_NAME,
    SecurityHeadersMiddleware,
    csrf_ok,
    csrf_token,
    sign_session,
    unsign_session,
)

log = logging.getLogger(__name__)

ROOT = "/dasbor"
HERE = Path(__file__).parent
# A roster file: a cohort of 60 is a few dozen kilobytes; 5 MB leaves room for formatting.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# The import form carries the previewed file back, base64-encoded (4/3 of it) with a margin.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 64 * 1024
ROSTER_SUFFIXES = (".csv", ".xlsx")
# The settings form: its fields and the CSRF token.
SETTINGS_FIELDS = len(web_settings.FIELD_NAMES) + 1
# The announcement forms: text, five roles, seminar group, group chats, step, token, CSRF.
ANNOUNCE_FIELDS = 16
# The new-seminar form: a box per participant of a large cohort, the other fields, CSRF.
SEMINAR_FIELDS = 400
# Done notices on the seminars page, by the "selesai" word of its address.
SEMINAR_DONE = {"jadwal": "add", "pindah": "move", "batal": "cancel"}
# Columns the overview can be sorted by, each with its key.
SORTS: dict[str, Callable[[Any], Any]] = {
    "name": lambda line: line.name.casefold(),
    "progress": lambda line: line.progress,
    "overdue": lambda line: line.overdue,
    "reports": lambda line: line.reports,
    "last": lambda line: line.last_report_at.timestamp() if line.last_report_at else 0.0,
    "waiting": lambda line: line.waiting,
}
# The overview's filters (?tampil=): who needs a look, by what the organizer chases.
FILTERS: dict[str, Callable[[Any], bool]] = {
    "semua": lambda line: True,
    "belum_gabung": lambda line: not line.joined,
    "terlambat": lambda line: line.overdue > 0,
    "menunggu": lambda line: line.waiting > 0,
}


@dataclass(frozen=True)
class InviteLink:
    channel: Channel
    link: str
    qr: Markup


@dataclass(frozen=True)
class Invitation:
    invite: InviteLine
    links: list[InviteLink]
    text: str


@dataclass(frozen=True)
class DeskConfig:
    base_url: str
    secret: str
    # Global admins: (channel, external user id) of their accounts.
    admin_accounts: frozenset[tuple[Channel, str]]
    default_language: str
    default_zone: ZoneInfo
    evidence_store: EvidenceStore
    clock: Clock
    # The bot's username for invite links; asked late, since the bot learns it at start.
    bot_username: Callable[[], str | None] = lambda: None
    # The WhatsApp business number (E.164): invitations give wa.me links when set.
    whatsapp_number: str | None = None
    # Called after a page's transaction queued messages (an announcement): the sender goes at
    # once when this instance runs it, else it finds them on its next pass.
    wake_sender: Callable[[], None] = lambda: None

    @property
    def secure_cookie(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass
class _Visit:
    """One request of a signed-in person: their session, and the pieces every page needs."""

    session: AsyncSession
    viewer: Viewer
    key: str
    t: Translator
    # Set by a page that queued messages: the sender is woken once its transaction commits.
    queued: bool = False


Page = Callable[[Request, _Visit], Awaitable[Response]]


def create_desk(engine: AsyncEngine, config: DeskConfig) -> ASGIDesk:
    return ASGIDesk(engine, config)


class ASGIDesk:
    """The desk's Starlette app (mounted at ROOT by web.app) with its security headers."""

    def __init__(self, engine: AsyncEngine, config: DeskConfig) -> None:
        self.sessions = session_factory(engine)
        self.config = config
        # Jinja loads with the desk, not with the web app: a bot without the desk never
        # carries it (bench/memory.py).
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        routes = [
            Route("/", self._signed_in(self.home), methods=["GET"]),
            Route("/masuk", self.login_page, methods=["GET"]),
            Route("/masuk", self.login, methods=["POST"]),
            Route("/keluar", self.logout, methods=["POST"]),
            Route("/angkatan/{cohort_id:int}", self._signed_in(self.cohort), methods=["GET"]),
            Route(
                "/angkatan/{cohort_id:int}/ekspor.xlsx",
                self._signed_in(self.export),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/ikhtisar.csv",
                self._signed_in(self.overview_csv),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/daftar",
                self._signed_in(self.roster_form),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/daftar",
                self._signed_in(self.roster_preview, form=True),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/daftar/impor",
                self._signed_in(self.roster_import, form=True),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengaturan",
                self._signed_in(self.settings_form),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengaturan",
                self._signed_in(self.settings_save, form=True, max_fields=SETTINGS_FIELDS),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/log", self._signed_in(self.audit_log), methods=["GET"]
            ),
            Route(
                "/angkatan/{cohort_id:int}/log.csv",
                self._signed_in(self.audit_csv),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengumuman",
                self._signed_in(self.announce_form),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengumuman",
                self._signed_in(self.announce_preview, form=True, max_fields=ANNOUNCE_FIELDS),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengumuman/kirim",
                self._signed_in(self.announce_send, form=True, max_fields=ANNOUNCE_FIELDS),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengumuman/{broadcast_id:int}",
                self._signed_in(self.announce_status),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/pengumuman/{broadcast_id:int}/hitungan",
                self._signed_in(self.announce_counts),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/seminar",
                self._signed_in(self.seminars),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/seminar",
                self._signed_in(self.seminar_add, form=True, max_fields=SEMINAR_FIELDS),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/seminar/{seminar_id:int}/pindah",
                self._signed_in(self.seminar_move_form),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/seminar/{seminar_id:int}/pindah",
                self._signed_in(self.seminar_move, form=True),
                methods=["POST"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/seminar/{seminar_id:int}/batal",
                self._signed_in(self.seminar_cancel_form),
                methods=["GET"],
            ),
            Route(
                "/angkatan/{cohort_id:int}/seminar/{seminar_id:int}/batal",
                self._signed_in(self.seminar_cancel, form=True),
                methods=["POST"],
            ),
            Route("/templat-daftar.xlsx", self._signed_in(self.roster_template), methods=["GET"]),
            Route("/peserta/{participant_id:int}", self._signed_in(self.timeline), methods=["GET"]),
            Route(
                "/peserta/{participant_id:int}/portofolio.pdf",
                self._signed_in(self.portfolio_pdf),
                methods=["GET"],
            ),
            Route("/bukti/{evidence_id:int}", self._signed_in(self.evidence), methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        self.app = SecurityHeadersMiddleware(Starlette(routes=routes))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    # --- plumbing ------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.config.clock.now()

    def render(
        self, name: str, t: Translator, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        template = self.templates.get_template(name)
        html = template.render(root=ROOT, t=t, lang=t.language, **context)
        return HTMLResponse(html, status_code=status_code)

    def message(self, t: Translator, key: str, status_code: int, **params: object) -> HTMLResponse:
        return self.render(
            "message.html", t, status_code, title=t(f"{key}.title"), body=t(key, **params)
        )

    def _signed_in(
        self, page: Page, *, form: bool = False, max_fields: int = 5
    ) -> Callable[[Request], Any]:
        """The page behind the session check, in one database session (one transaction);
        a form's CSRF token checked before the page sees it; NotVisible answered as 404."""

        async def endpoint(request: Request) -> Response:
            stranger = translator(self.config.default_language)
            if form:
                length = request.headers.get("content-length")
                if length is None or not length.isdigit() or int(length) > MAX_REQUEST_BYTES:
                    mb = MAX_UPLOAD_BYTES // (1024 * 1024)
                    return self.message(stranger, "web.error.too_large", 413, mb=mb)
            key = unsign_session(self.config.secret, request.cookies.get(COOKIE_NAME))
            async with self.sessions() as session, session.begin():
                person_id = (
                    await web_login.session_person(session, key, self.now()) if key else None
                )
                viewer = (
                    await load_viewer(session, person_id, self.config.admin_accounts)
                    if person_id is not None
                    else None
                )
                if viewer is None or key is None:
                    return self.message(stranger, "web.error.signed_out", 401)
                visit = _Visit(session, viewer, key, translator(viewer.language))
                if form:
                    fields = await request.form(
                        max_files=1, max_fields=max_fields, max_part_size=MAX_REQUEST_BYTES
                    )
                    if not csrf_ok(self.config.secret, key, fields.get("csrf")):
                        return self.message(visit.t, "web.error.csrf", 403)
                try:
                    response = await page(request, visit)
                except NotVisible:
                    return self.message(visit.t, "web.error.not_found", 404)
            if visit.queued:
                self.config.wake_sender()  # committed now, so the sender finds them
            return response

        return endpoint

    def page(self, name: str, visit: _Visit, **context: Any) -> HTMLResponse:
        return self.render(
            name,
            visit.t,
            viewer=visit.viewer,
            csrf=csrf_token(self.config.secret, visit.key),
            fmt=_Formats(visit.t, visit.viewer, self.now()),
            **context,
        )

    # --- signing in and out ---------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        """The link from the chat: a button to press, so that a link preview or a virus
        scanner fetching the address does not use up the one-time link."""
        t = translator(self.config.default_language)
        token = request.query_params.get("token", "")
        async with self.sessions() as session:
            try:
                await web_login.check_link(session, token, self.now())
            except web_login.LinkRefused as exc:
                return self.message(t, f"web.login.refused.{exc.reason.value}", 403)
        return self.render("login.html", t, token=token)

    async def login(self, request: Request) -> Response:
        t = translator(self.config.default_language)
        fields = await request.form(max_files=0, max_fields=2, max_part_size=1024)
        token = fields.get("token")
        async with self.sessions() as session, session.begin():
            try:
                signed = await web_login.redeem_link(
                    session, token if isinstance(token, str) else "", self.now()
                )
            except web_login.LinkRefused as exc:
                log.info("web desk login refused", extra={"reason": exc.reason.value})
                return self.message(t, f"web.login.refused.{exc.reason.value}", 403)
        log.info("web desk login", extra={"person_id": signed.person_id})
        response = RedirectResponse(f"{ROOT}/", status_code=303)
        response.set_cookie(
            COOKIE_NAME,
            sign_session(self.config.secret, signed.session_key),
            path=ROOT,
            httponly=True,
            samesite="lax",
            secure=self.config.secure_cookie,
        )
        return response

    async def logout(self, request: Request) -> Response:
        t = translator(self.config.default_language)
        fields = await request.form(max_files=0, max_fields=2, max_part_size=1024)
        key = unsign_session(self.config.secret, request.cookies.get(COOKIE_NAME))
        if key is None or not csrf_ok(self.config.secret, key, fields.get("csrf")):
            return self.message(t, "web.error.csrf", 403)
        async with self.sessions() as session, session.begin():
            await web_login.end_session(session, key, self.now())
        response = self.message(t, "web.logout.done", 200)
        response.delete_cookie(COOKIE_NAME, path=ROOT)
        return response

    # --- pages -----------------------------------------------------------------------------

    async def home(self, request: Request, visit: _Visit) -> Response:
        """Cohorts for an organizer, own participants for an advisor, own record for a
        participant; one person can be several of these."""
        viewer = visit.viewer
        cohorts = await cohorts_of(visit.session, viewer)
        advisees = await advisee_summaries(visit.session, viewer.person_id)
        return self.page(
            "home.html",
            visit,
            cohorts=cohorts,
            advisees=advisees,
            is_participant=Role.PARTICIPANT in viewer.roles,
        )

    async def cohort(self, request: Request, visit: _Visit) -> Response:
        overview = await cohort_overview(
            visit.session, visit.viewer, request.path_params["cohort_id"], self.now()
        )
        sort = request.query_params.get("urut", "name")
        if sort not in SORTS:
            sort = "name"
        descending = request.query_params.get("arah") == "turun"
        shown = request.query_params.get("tampil", "semua")
        if shown not in FILTERS:
            shown = "semua"
        lines = sorted(
            filter(FILTERS[shown], overview.recap.participants),
            key=SORTS[sort],
            reverse=descending,
        )
        invitations = [self._invitation(invite, visit.t) for invite in overview.pending]
        return self.page(
            "cohort.html",
            visit,
            overview=overview,
            lines=lines,
            sort=sort,
            descending=descending,
            columns=list(SORTS),
            invitations=invitations,
            shown=shown,
            filters=list(FILTERS),
        )

    def _invitation(self, invite: InviteLine, t: Translator) -> Invitation:
        """The person's links (their roster channel's, or every configured one) with a QR code
        each, and a ready invitation text to copy."""
        links = invite.links(
            bot_username=self.config.bot_username(), whatsapp_number=self.config.whatsapp_number
        )
        if links:
            text = t(
                "web.invite.text" if len(links) == 1 else "web.invite.text_choice",
                name=invite.name,
                link=invite_links_text(t, links, "\n"),
                code=invite.code,
            )
        else:
            text = t("web.invite.text_code", name=invite.name, code=invite.code)
        return Invitation(
            invite=invite,
            links=[
                InviteLink(channel, link, qr_svg(link, title=t(f"web.invite.qr.{channel.value}")))
                for channel, link in links.items()
            ],
            text=text,
        )

    async def timeline(self, request: Request, visit: _Visit) -> Response:
        found, relation = await participant_portfolio(
            visit.session, visit.viewer, request.path_params["participant_id"]
        )
        evidence = await evidence_of_reports(visit.session, [r.id for r in found.reports])
        return self.page(
            "timeline.html", visit, record=found, relation=relation.value, evidence=evidence
        )

    async def evidence(self, request: Request, visit: _Visit) -> Response:
        item = await evidence_file(visit.session, visit.viewer, request.path_params["evidence_id"])
        data = await self.config.evidence_store.get(item.sha256) if item.sha256 else None
        if data is None:
            raise NotVisible()
        mime = item.mime_type or ("image/jpeg" if item.kind == "photo" else "")
        if mime.startswith("image/") and mime != "image/svg+xml":
            return Response(data, media_type=mime)
        # Anything else is downloaded, never shown inside the desk's origin.
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": _attachment(item.file_name or f"bukti-{item.id}")},
        )

    async def portfolio_pdf(self, request: Request, visit: _Visit) -> Response:
        from documents.portfolio_pdf import file_slug, render_portfolio

        found, relation = await participant_portfolio(
            visit.session, visit.viewer, request.path_params["participant_id"]
        )
        if relation is not portfolio.Relation.SELF:
            portfolio.record_export(
                visit.session,
                found,
                now=self.now(),
                actor_id=visit.viewer.person_id,
                relation=relation,
            )
        images = await portfolio.fetch_images(found, self.config.evidence_store)
        data = await asyncio.to_thread(
            render_portfolio,
            found,
            images=images,
            language=visit.viewer.language,
            generated_at=self.now(),
        )
        name = visit.t("portfolio.file_name", slug=file_slug(found.name))
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": _attachment(name)},
        )

    async def export(self, request: Request, visit: _Visit) -> Response:
        from documents.export_tables import export_file_name
        from documents.xlsx_export import render_xlsx

        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        now = self.now()
        data = await cohort_export(visit.session, cohort.id, now)
        record_export(
            visit.session, data, file_format="xlsx", at=now, actor_id=visit.viewer.person_id
        )
        zone, language = visit.viewer.timezone, visit.viewer.language
        content = await asyncio.to_thread(render_xlsx, data, language, zone)
        name = export_file_name(data.cohort_name, now.astimezone(zone).date(), "xlsx", language)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": _attachment(name)},
        )

    async def roster_template(self, request: Request, visit: _Visit) -> Response:
        from documents.roster_template import render_roster_template

        if not visit.viewer.is_admin:
            raise NotVisible()
        content = await asyncio.to_thread(render_roster_template, visit.viewer.language)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": _attachment(visit.t("web.roster.template_file"))},
        )

    async def roster_form(self, request: Request, visit: _Visit) -> Response:
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        return self.page("roster.html", visit, cohort=cohort, stage="form", problems=[])

    def _rows(self, data: bytes) -> list[CohortRow]:
        """The roster rows, all or none: CohortFileError lists every bad row."""
        zone = self.config.default_zone
        return parse_roster(data, default_zone=zone, today=self.now().astimezone(zone).date())

    async def roster_preview(self, request: Request, visit: _Visit) -> Response:
        """Every bad row, or every change the import would make, before anything is written."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        fields = await request.form(max_files=1, max_fields=5, max_part_size=MAX_REQUEST_BYTES)
        upload = fields.get("roster")
        problem = None
        data = b""
        if not isinstance(upload, UploadFile) or not upload.filename:
            problem = visit.t("web.roster.error.no_file")
        elif not upload.filename.lower().endswith(ROSTER_SUFFIXES):
            problem = visit.t("web.roster.error.type")
        else:
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                problem = visit.t(
                    "web.roster.error.too_large", mb=MAX_UPLOAD_BYTES // (1024 * 1024)
                )
        if problem is not None:
            return self.page("roster.html", visit, cohort=cohort, stage="form", problems=[problem])
        try:
            rows = self._rows(data)
        except CohortFileError as exc:
            problems = [describe_problem(p, visit.t) for p in exc.problems]
            return self.page("roster.html", visit, cohort=cohort, stage="form", problems=problems)
        except UserFacingError as exc:
            return self.page(
                "roster.html",
                visit,
                cohort=cohort,
                stage="form",
                problems=[visit.t(exc.key, **exc.params)],
            )
        changes = await roster_changes(visit.session, cohort.id, rows)
        return self.page(
            "roster.html",
            visit,
            cohort=cohort,
            stage="preview",
            problems=[],
            rows=len(rows),
            changes=changes,
            payload=base64.b64encode(data).decode(),
        )

    async def roster_import(self, request: Request, visit: _Visit) -> Response:
        """The previewed file, read again and imported in this one transaction, audited as the
        command line's import is."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        fields = await request.form(max_files=0, max_fields=5, max_part_size=MAX_REQUEST_BYTES)
        raw = fields.get("payload")
        try:
            data = base64.b64decode(raw if isinstance(raw, str) else "", validate=True)
            rows = self._rows(data)
        except (binascii.Error, CohortFileError, UserFacingError):
            return self.page(
                "roster.html",
                visit,
                cohort=cohort,
                stage="form",
                problems=[visit.t("web.roster.error.stale")],
            )
        summary = await import_cohort(
            visit.session,
            cohort.name,
            rows,
            now=self.now(),
            actor_label=f"web:{visit.viewer.person_id}",
        )
        return self.page("roster.html", visit, cohort=cohort, stage="done", summary=summary)

    # --- cohort settings -------------------------------------------------------------------

    def _settings_page(
        self,
        visit: _Visit,
        cohort: Cohort,
        form: web_settings.SettingsForm,
        *,
        problems: dict[str, web_settings.Problem] | None = None,
        saved: list[str] | None = None,
        readable: bool = True,
    ) -> Response:
        language = visit.t.language
        return self.page(
            "settings.html",
            visit,
            cohort=cohort,
            form=form,
            problems=problems or {},
            saved=saved,
            readable=readable,
            programme_term=term_for_programme(cohort.programme),
            terms=list(ProjectTerm),
            languages=SUPPORTED_LANGUAGES,
            zones=web_settings.ZONE_CHOICES,
            weekdays=get_day_names("wide", locale=language),
        )

    async def settings_form(self, request: Request, visit: _Visit) -> Response:
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        form, readable = web_settings.form_of(cohort.settings)
        return self._settings_page(visit, cohort, form, readable=readable)

    async def settings_save(self, request: Request, visit: _Visit) -> Response:
        """Checked field by field; saved with an audit entry naming what changed. The sweep
        reads the settings afresh on its next run."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        fields = await request.form()  # parsed (and limited) by _signed_in already
        form = web_settings.form_from({k: v for k, v in fields.items() if isinstance(v, str)})
        checked = web_settings.check(form)
        if isinstance(checked, dict):
            # 200, not 422: HTMX swaps only successful answers, and the form must come back.
            return self._settings_page(visit, cohort, form, problems=checked)
        changed = web_settings.save(
            visit.session,
            cohort,
            checked,
            now=self.now(),
            actor_id=visit.viewer.person_id,
            actor_label="web",
        )
        form, _ = web_settings.form_of(cohort.settings)
        return self._settings_page(visit, cohort, form, saved=changed)

    # --- audit log -------------------------------------------------------------------------

    async def audit_log(self, request: Request, visit: _Visit) -> Response:
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        wanted, bad = web_audit.parse_filter(dict(request.query_params))
        entries, more = await web_audit.cohort_entries(
            visit.session, cohort.id, wanted, visit.viewer.timezone, limit=web_audit.PAGE_LIMIT
        )
        return self.page(
            "audit.html",
            visit,
            cohort=cohort,
            wanted=wanted,
            bad=bad,
            entries=entries,
            more=more,
            actions=await web_audit.cohort_actions(visit.session, cohort.id),
            query=request.url.query,
            details=_details,
        )

    async def audit_csv(self, request: Request, visit: _Visit) -> Response:
        """The filtered log as CSV (UTF-8 with a BOM for Excel); the export itself is audited."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        wanted, _ = web_audit.parse_filter(dict(request.query_params))
        zone = visit.viewer.timezone
        entries, _ = await web_audit.cohort_entries(
            visit.session, cohort.id, wanted, zone, limit=web_audit.EXPORT_LIMIT
        )
        now = self.now()
        audit.record(
            visit.session,
            web_audit.EXPORT_ACTION,
            at=now,
            actor_id=visit.viewer.person_id,
            actor_label="web",
            cohort_id=cohort.id,
            details={"rows": len(entries), "filtered": wanted.active},
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(
            [
                visit.t("web.audit.column.at_zone", zone=zone_label(zone, now)),
                visit.t("web.audit.column.actor"),
                visit.t("web.audit.column.action"),
                visit.t("web.audit.column.details"),
            ]
        )
        for entry in entries:
            writer.writerow(
                [
                    entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    _csv_text(entry.actor_name or entry.actor_label or ""),
                    _csv_text(entry.action),
                    _csv_text(_details(entry.details)),
                ]
            )
        name = visit.t("web.audit.file_name", date=now.astimezone(zone).date().isoformat())
        return Response(
            ("\ufeff" + out.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(name)},
        )

    # --- announcements ---------------------------------------------------------------------

    async def _announce_page(
        self,
        visit: _Visit,
        cohort: Cohort,
        form: web_announcements.AnnouncementForm,
        *,
        problem: web_announcements.Problem | None = None,
    ) -> Response:
        return self.page(
            "announcement.html",
            visit,
            cohort=cohort,
            form=form,
            problem=problem,
            roles=AUDIENCE_ROLES,
            offered=await web_announcements.choices(visit.session, cohort.id),
            recent=await web_announcements.recent(visit.session, cohort.id),
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        )

    async def announce_form(self, request: Request, visit: _Visit) -> Response:
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        return await self._announce_page(visit, cohort, web_announcements.AnnouncementForm())

    @staticmethod
    async def _announcement(request: Request) -> web_announcements.AnnouncementForm:
        fields = await request.form()  # parsed (and limited) by _signed_in already
        carried = web_announcements.AnnouncementFile.carried(
            fields.get("file_kind"),
            fields.get("file_sha256"),
            fields.get("file_name"),
            fields.get("file_size"),
        )
        return web_announcements.form_from(
            fields.get("text"),
            fields.getlist("roles"),
            fields.get("group"),
            fields.get("groups"),
            file=None if fields.get("file_remove") == "1" else carried,
        )

    async def _with_upload(
        self, request: Request, form: web_announcements.AnnouncementForm
    ) -> web_announcements.AnnouncementForm | web_announcements.Problem:
        """The form with a newly chosen file stored (it replaces the one carried so far)."""
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return form
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        stored = await web_announcements.store_upload(
            self.config.evidence_store,
            data,
            upload.filename,
            upload.content_type,
            max_bytes=MAX_UPLOAD_BYTES,
        )
        if isinstance(stored, web_announcements.Problem):
            return stored
        return dataclasses.replace(form, file=stored)

    async def announce_preview(self, request: Request, visit: _Visit) -> Response:
        """The message as recipients will read it and every recipient by name; nothing is
        written until "Kirim". "Ubah" brings the form back as it was filled in."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        form = await self._announcement(request)
        if (await request.form()).get("step") == "edit":
            return await self._announce_page(visit, cohort, form)
        uploaded = await self._with_upload(request, form)
        if isinstance(uploaded, web_announcements.Problem):
            return await self._announce_page(visit, cohort, form, problem=uploaded)
        form = uploaded
        found = await web_announcements.preview(
            visit.session, cohort, visit.viewer.person_id, form, visit.t
        )
        if isinstance(found, web_announcements.Problem):
            return await self._announce_page(visit, cohort, form, problem=found)
        return self.page(
            "announcement_preview.html",
            visit,
            cohort=cohort,
            form=form,
            preview=found,
            message=web_html(found.message),
            token=web_announcements.new_token(),
        )

    async def announce_send(self, request: Request, visit: _Visit) -> Response:
        """Queued for the sender and audited by the broadcast service; the same form sent
        again (a double click, a reload) leads to the same announcement."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        form = await self._announcement(request)
        token = (await request.form()).get("token")
        if not web_announcements.token_ok(token):
            return await self._announce_page(
                visit, cohort, form, problem=web_announcements.Problem("web.announce.stale", {})
            )
        assert isinstance(token, str)
        if form.file is not None and await self.config.evidence_store.get(form.file.sha256) is None:
            # Not what the preview stored (a forged field, or the store was emptied since).
            problem = web_announcements.Problem("web.announce.error.file_gone", {})
            return await self._announce_page(
                visit, cohort, dataclasses.replace(form, file=None), problem=problem
            )
        try:
            broadcast_id = await web_announcements.send(
                visit.session, cohort.id, visit.viewer.person_id, form, token, self.now()
            )
        except UserFacingError as exc:
            problem = web_announcements.Problem(exc.key, dict(exc.params))
            return await self._announce_page(visit, cohort, form, problem=problem)
        visit.queued = True
        return RedirectResponse(
            f"{ROOT}/angkatan/{cohort.id}/pengumuman/{broadcast_id}", status_code=303
        )

    async def _status(self, request: Request, visit: _Visit) -> dict[str, Any]:
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        found = await web_announcements.status(
            visit.session, cohort.id, request.path_params["broadcast_id"]
        )
        return {"cohort": cohort, "status": found, "summary": found.summary}

    async def announce_status(self, request: Request, visit: _Visit) -> Response:
        context = await self._status(request, visit)
        # The organizer's words as recipients read them: literal, as in the chat.
        message = web_html(markup.escape(context["status"].broadcast.text))
        return self.page("announcement_status.html", visit, message=message, **context)

    async def announce_counts(self, request: Request, visit: _Visit) -> Response:
        """The counts alone, for the status page's polling; once nothing waits the fragment
        comes without its trigger and the polling stops."""
        return self.page("announcement_counts.html", visit, **await self._status(request, visit))

    # --- the overview as CSV -----------------------------------------------------------------

    async def overview_csv(self, request: Request, visit: _Visit) -> Response:
        """The overview's progress table as CSV (UTF-8 with a BOM for Excel), in the page's
        order; audited as the XLSX export is, since it names people."""
        overview = await cohort_overview(
            visit.session, visit.viewer, request.path_params["cohort_id"], self.now()
        )
        # The page's filter and order, as the link from the page carries them.
        key = SORTS.get(request.query_params.get("urut", ""), SORTS["name"])
        shown = FILTERS.get(request.query_params.get("tampil", ""), FILTERS["semua"])
        descending = request.query_params.get("arah") == "turun"
        lines = sorted(filter(shown, overview.recap.participants), key=key, reverse=descending)
        now, zone, t = self.now(), visit.viewer.timezone, visit.t
        audit.record(
            visit.session,
            "export",
            at=now,
            actor_id=visit.viewer.person_id,
            actor_label="web",
            cohort_id=overview.cohort_id,
            details={"format": "csv", "tables": ["overview"], "rows": {"overview": len(lines)}},
        )
        label = zone_label(zone, now)

        def moment(value: datetime | None) -> str:
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(
            [
                t("web.column.name"),
                t("web.column.progress"),
                t("web.column.overdue"),
                t("web.column.reports"),
                t("web.overview_csv.with_zone", column=t("web.column.last"), zone=label),
                t("web.column.waiting"),
                t("web.overview_csv.with_zone", column=t("web.column.waiting_since"), zone=label),
                t("web.column.joined"),
            ]
        )
        for line in lines:
            writer.writerow(
                [
                    _csv_text(line.name),
                    line.progress,
                    line.overdue,
                    line.reports,
                    moment(line.last_report_at),
                    line.waiting,
                    moment(overview.waiting_since.get(line.participant_id)),
                    t("web.overview_csv.yes" if line.joined else "web.overview_csv.no"),
                ]
            )
        name = t(
            "web.overview_csv.file_name",
            cohort=overview.cohort_name,
            date=now.astimezone(zone).date().isoformat(),
        )
        return Response(
            ("\ufeff" + out.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _attachment(name)},
        )

    # --- seminars --------------------------------------------------------------------------

    def _organizer(self, visit: _Visit) -> Organizer:
        return web_seminars.organizer(visit.viewer.person_id, visit.viewer.global_admin)

    async def _seminars_page(
        self,
        request: Request,
        visit: _Visit,
        cohort: Cohort,
        *,
        form: web_seminars.NewForm | None = None,
        problems: list[web_seminars.Problem] | None = None,
    ) -> Response:
        by = self._organizer(visit)
        zone = visit.viewer.timezone
        found = await web_seminars.roster(visit.session, cohort.id, by)
        done = SEMINAR_DONE.get(request.query_params.get("selesai", ""))
        number = request.query_params.get("no", "")
        return self.page(
            "seminars.html",
            visit,
            cohort=cohort,
            calendar=await web_seminars.calendar(visit.session, cohort.id, by, self.now(), zone),
            roster=found,
            groups=web_seminars.seminar_groups(found),
            kinds=list(SeminarKind),
            zones=list(ZONES_BY_LABEL),
            form=form or web_seminars.NewForm(zone=zone_label(zone, self.now())),
            problems=problems or [],
            done=done if problems is None and number.isdigit() else None,
            done_id=number,
            when=_SeminarTimes(visit.t.language, zone),
        )

    async def seminars(self, request: Request, visit: _Visit) -> Response:
        """The cohort's seminars by day in the viewer's zone, and the form for a new one."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        return await self._seminars_page(request, visit, cohort)

    async def seminar_add(self, request: Request, visit: _Visit) -> Response:
        """Scheduled by the chat's and the command line's service: the same notices, the same
        audit entry. A refused form comes back as typed, with every problem, nothing written."""
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        fields = await request.form()  # parsed (and limited) by _signed_in already
        form = web_seminars.new_form_from(
            {k: v for k, v in fields.items() if isinstance(v, str)}, fields.getlist("presenters")
        )
        planned = await web_seminars.schedule(
            visit.session,
            cohort.id,
            form,
            by=self._organizer(visit),
            now=self.now(),
            language=visit.t.language,
        )
        if isinstance(planned, list):
            # 200, not 422: HTMX swaps only successful answers, and the form must come back.
            return await self._seminars_page(request, visit, cohort, form=form, problems=planned)
        visit.queued = True
        return self._seminar_done(cohort.id, "jadwal", planned.seminar_id)

    @staticmethod
    def _seminar_done(cohort_id: int, word: str, seminar_id: int) -> Response:
        return RedirectResponse(
            f"{ROOT}/angkatan/{cohort_id}/seminar?selesai={word}&no={seminar_id}",
            status_code=303,
        )

    async def _seminar(self, request: Request, visit: _Visit) -> tuple[Cohort, SeminarView]:
        cohort = await managed(visit.session, visit.viewer, request.path_params["cohort_id"])
        view = await web_seminars.seminar_of(
            visit.session, cohort.id, request.path_params["seminar_id"], self._organizer(visit)
        )
        return cohort, view

    def _change_page(
        self,
        visit: _Visit,
        cohort: Cohort,
        view: SeminarView,
        mode: str,
        *,
        form: web_seminars.MoveForm | None = None,
        problems: list[web_seminars.Problem] | None = None,
    ) -> Response:
        late = web_seminars.unchangeable(view, self.now())
        return self.page(
            "seminar_change.html",
            visit,
            cohort=cohort,
            seminar=view,
            mode=mode,
            form=form or web_seminars.move_form_of(view),
            zones=list(ZONES_BY_LABEL),
            problems=problems or ([late] if late else []),
            closed=late is not None,
            when=_SeminarTimes(visit.t.language, visit.viewer.timezone),
        )

    async def seminar_move_form(self, request: Request, visit: _Visit) -> Response:
        cohort, view = await self._seminar(request, visit)
        return self._change_page(visit, cohort, view, "move")

    async def seminar_move(self, request: Request, visit: _Visit) -> Response:
        """A new date and time (in the seminar's zone unless another is chosen): the pending
        reminders dropped, a change notice to everyone concerned, the reminders planned anew."""
        cohort, view = await self._seminar(request, visit)
        fields = await request.form()
        form = web_seminars.move_form_from({k: v for k, v in fields.items() if isinstance(v, str)})
        planned = await web_seminars.move(
            visit.session,
            view,
            form,
            by=self._organizer(visit),
            now=self.now(),
            language=visit.t.language,
        )
        if isinstance(planned, list):
            return self._change_page(visit, cohort, view, "move", form=form, problems=planned)
        visit.queued = True
        return self._seminar_done(cohort.id, "pindah", planned.seminar_id)

    async def seminar_cancel_form(self, request: Request, visit: _Visit) -> Response:
        """Asked once more before anything is sent: everyone concerned will be told."""
        cohort, view = await self._seminar(request, visit)
        return self._change_page(visit, cohort, view, "cancel")

    async def seminar_cancel(self, request: Request, visit: _Visit) -> Response:
        cohort, view = await self._seminar(request, visit)
        planned = await web_seminars.cancel(
            visit.session, view, by=self._organizer(visit), now=self.now()
        )
        if isinstance(planned, list):
            return self._change_page(visit, cohort, view, "cancel", problems=planned)
        visit.queued = True
        return self._seminar_done(cohort.id, "batal", planned.seminar_id)


@dataclass(frozen=True)
class _SeminarTimes:
    """A seminar's time of day in the viewer's zone, and in its own zone when that differs."""

    language: str
    zone: ZoneInfo

    def of(self, view: SeminarView) -> str:
        own = format_time(view.starts_at, self.zone, self.language)
        if zone_label(view.zone, view.starts_at) == zone_label(self.zone, view.starts_at):
            return own
        return f"{own} ({format_time(view.starts_at, view.zone, self.language)})"

    def full(self, view: SeminarView) -> str:
        return format_datetime(view.starts_at, view.zone, self.language)


# A spreadsheet runs a cell that starts with one of these as a formula: never from our CSV.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _details(details: dict[str, Any]) -> str:
    """An entry's details as compact JSON, the way `properbot audit` prints them."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def _attachment(file_name: str) -> str:
    """A Content-Disposition naming the file, safe for any characters in it."""
    ascii_name = file_name.encode("ascii", "replace").decode().replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


@dataclass(frozen=True)
class _Formats:
    """Dates, times and durations for templates, in the viewer's language and zone."""

    t: Translator
    viewer: Viewer
    now: datetime

    def date(self, value: Any) -> str:
        return format_date(value, None, self.t.language)

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        # format_datetime ends with the zone's label already ("09.00 WIB").
        return format_datetime(value, self.viewer.timezone, self.t.language)

    def since(self, value: datetime | None) -> str:
        """How long ago, in whole hours below two days, else whole days."""
        if value is None:
            return "-"
        return self.duration(self.now - value)

    def duration(self, delta: timedelta | None) -> str:
        """A span in whole hours below two days, else whole days."""
        if delta is None:
            return "-"
        hours = int(max(delta, timedelta(0)).total_seconds() // 3600)
        if hours < 48:
            return self.t.plural("web.duration.hours", hours)
        return self.t.plural("web.duration.days", hours // 24)
