"""Settings from the environment and `.env`, validated once at start."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import phonenumbers
from dotenv import dotenv_values
from sqlalchemy.engine import make_url

from domain.enums import Channel
from domain.i18n import SUPPORTED_LANGUAGES
from domain.phone import REGION, InvalidPhone, normalize_phone
from domain.timezones import UnknownZone, parse_zone
from models.db import DatabaseUrlError, normalize_url

DEFAULT_API_ROOT = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///properbot.db"
_TOKEN_SHAPE = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{20,}$")
_USERNAME_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
# Updates handled at the same time (different users; one user's stay in order). Four fit the
# database pool's five steady connections with one to spare for the sender, and measured best
# (docs/PERFORMANCE.md): 10 cost SQLite about a fifth of its throughput in one process.
DEFAULT_UPDATE_CONCURRENCY = 4
MAX_UPDATE_CONCURRENCY = 100
# The web server (webhook, /healthz, /readyz, /metrics): local only unless told otherwise; a
# reverse proxy in front terminates TLS and forwards the webhook path.
DEFAULT_WEB_HOST = "127.0.0.1"
DEFAULT_WEB_PORT = 8080
# Telegram's own limits: a secret of 1-256 of these characters, webhooks only on these ports,
# 1-100 simultaneous connections (40 by default).
_WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
DEFAULT_WEBHOOK_MAX_CONNECTIONS = 40
# Paths the web server answers itself; a webhook there would hide them.
RESERVED_WEB_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# The web desk's pages (web/desk.py ROOT): no webhook below it.
DESK_PATH = "/dasbor"
LOG_FORMATS = ("console", "json")
DEFAULT_WORKER_LOCK_CHECK_S = 1
MAX_WORKER_LOCK_CHECK_S = 4
DEFAULT_GRAPH_API_ROOT = "https://graph.facebook.com"
DEFAULT_WHATSAPP_WEBHOOK_PATH = "/whatsapp"
WHATSAPP_TIERS = (250, 2_000, 10_000, 100_000)
DEFAULT_WHATSAPP_RATE_PER_S = 72
# Global admins' accounts: (channel, external user id).
AdminAccounts = frozenset[tuple[Channel, str]]


class SettingsError(ValueError):
    """A setting is missing or malformed; `name` is the variable, `key` the catalog message."""

    def __init__(self, name: str, key: str, **params: object) -> None:
        super().__init__(f"{name}: {key} {params}")
        self.name = name
        self.key = f"settings.problem.{key}"
        self.params = params


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp Cloud API front end: the business number's id, its access token, the app
    secret that signs webhook posts, the token of the webhook handshake, and Meta's limits."""

    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    # The WhatsApp Business Account: `properbot whatsapp templates --check` reads its templates.
    business_account_id: str | None = None
    api_root: str = DEFAULT_GRAPH_API_ROOT
    webhook_path: str = DEFAULT_WHATSAPP_WEBHOOK_PATH
    # The sender's cap: under Meta's 80 messages/s per number (130429), since any one second
    # may hold the cap plus a burst of a tenth of it (72 + 8 = 80), as Telegram's 25 + 3 stay
    # under its 30. Meta's pair rate to one person (131056) is fixed; the messaging tier
    # counts people reached outside the 24-hour window per rolling 24 hours (250, 2,000,
    # 10,000, 100,000 or unlimited).
    rate_per_s: int = DEFAULT_WHATSAPP_RATE_PER_S
    tier_limit: int = 250


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment. See .env.example for each one."""

    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_bot_username: str | None = None
    telegram_api_root: str = DEFAULT_API_ROOT
    database_url: str = DEFAULT_DATABASE_URL
    admin_telegram_ids: frozenset[int] = frozenset()
    # Global admins on WhatsApp, by their number in E.164.
    admin_whatsapp_numbers: frozenset[str] = frozenset()
    default_timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))
    default_language: str = "id"
    log_level: str = "INFO"
    invite_max_attempts: int = 5
    invite_lockout_minutes: int = 15
    max_evidence_mb: int = 20
    delivery_rate_per_s: int = 25
    delivery_chat_rate_per_s: int = 1
    update_concurrency: int = DEFAULT_UPDATE_CONCURRENCY
    # The evidence store's folder. Always set by `load`; None only for Settings built in code
    # (tests, the demo), whose bot then keeps evidence in memory unless they name a folder.
    evidence_dir: Path | None = None
    web_host: str = DEFAULT_WEB_HOST
    web_port: int = DEFAULT_WEB_PORT
    # Webhook mode when set (https); polling otherwise. The secret comes with the URL.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_webhook_max_connections: int = DEFAULT_WEBHOOK_MAX_CONNECTIONS
    log_format: str = "console"
    # How often the active worker checks its lock connection (and how long a check may take);
    # a takeover after a crash takes about three times this plus the start-up.
    worker_lock_check_s: int = DEFAULT_WORKER_LOCK_CHECK_S
    # This instance in logs, metrics and the active_worker flag; host:pid when not set.
    instance_name: str | None = None
    # The web desk's public address (links from /dasbor lead there) and the key its session
    # cookies are signed with; without the address /dasbor says the desk is not set up.
    web_base_url: str | None = None
    web_session_secret: str | None = field(default=None, repr=False)
    # The bot's WhatsApp business number in E.164: invites give wa.me links only when set.
    whatsapp_phone_number: str | None = None
    # The WhatsApp Cloud API front end; None when WHATSAPP_PHONE_NUMBER_ID is not set.
    whatsapp: WhatsAppSettings | None = None

    @property
    def admin_accounts(self) -> AdminAccounts:
        """Every global admin's account as channel and external user id (WhatsApp's wa_id is
        the number's digits)."""
        return frozenset(
            {(Channel.TELEGRAM, str(i)) for i in self.admin_telegram_ids}
            | {(Channel.WHATSAPP, n.removeprefix("+")) for n in self.admin_whatsapp_numbers}
        )

    @property
    def webhook_path(self) -> str | None:
        """The path the web server takes Telegram's webhook posts on; None in polling mode."""
        if self.telegram_webhook_url is None:
            return None
        return urlsplit(self.telegram_webhook_url).path or "/"

    @property
    def bot_base_url(self) -> str:
        return f"{self.telegram_api_root}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.telegram_api_root}/file/bot"

    def require_channel(self) -> None:
        """`properbot run` needs a Telegram bot, a WhatsApp number, or both."""
        if not self.telegram_bot_token and self.whatsapp is None:
            raise SettingsError("TELEGRAM_BOT_TOKEN", "no_channel")

    def require_token(self) -> str:
        if not self.telegram_bot_token:
            raise SettingsError("TELEGRAM_BOT_TOKEN", "missing_token")
        return self.telegram_bot_token

    @classmethod
    def load(cls, env_file: Path | None = Path(".env")) -> Settings:
        """Read `.env` (if present) under the real environment, which wins."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ)
        return cls.from_mapping(values)

    @staticmethod
    def language_hint(env_file: Path | None = Path(".env")) -> str | None:
        """DEFAULT_LANGUAGE alone, read leniently, so a broken setting is reported in it."""
        raw = os.environ.get("DEFAULT_LANGUAGE")
        if raw is None and env_file is not None and env_file.is_file():
            raw = dotenv_values(env_file).get("DEFAULT_LANGUAGE")
        return raw.strip().lower() if raw else None

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            raw = env.get(name)
            return raw.strip() if raw is not None and raw.strip() else None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is not None and not _TOKEN_SHAPE.match(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN", "token_shape")

        username = get("TELEGRAM_BOT_USERNAME")
        if username is not None:
            username = username.removeprefix("@")
            if not _USERNAME_SHAPE.match(username):
                raise SettingsError("TELEGRAM_BOT_USERNAME", "username", value=username)

        api_root = (get("TELEGRAM_API_ROOT") or DEFAULT_API_ROOT).rstrip("/")
        if not api_root.startswith(("http://", "https://")):
            raise SettingsError("TELEGRAM_API_ROOT", "url")

        database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
        try:
            normalize_url(database_url)
        except DatabaseUrlError as exc:
            raise SettingsError("DATABASE_URL", "database", reason=str(exc)) from None

        admins: set[int] = set()
        for part in re.split(r"[,\s]+", get("ADMIN_TELEGRAM_IDS") or ""):
            if not part:
                continue
            if not re.fullmatch(r"\d{1,15}", part):
                raise SettingsError("ADMIN_TELEGRAM_IDS", "telegram_id", value=part)
            admins.add(int(part))

        try:
            zone = parse_zone(get("DEFAULT_TIMEZONE") or "Asia/Jakarta")
        except UnknownZone:
            raise SettingsError("DEFAULT_TIMEZONE", "zone") from None

        language = (get("DEFAULT_LANGUAGE") or "id").lower()
        if language not in SUPPORTED_LANGUAGES:
            raise SettingsError(
                "DEFAULT_LANGUAGE", "language", choices=", ".join(SUPPORTED_LANGUAGES)
            )

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in logging.getLevelNamesMapping():
            raise SettingsError("LOG_LEVEL", "log_level")

        webhook_url, webhook_secret = _webhook(get)
        log_format = (get("LOG_FORMAT") or "console").lower()
        if log_format not in LOG_FORMATS:
            raise SettingsError("LOG_FORMAT", "log_format", choices=", ".join(LOG_FORMATS))

        web_base_url, web_session_secret = _web_desk(get)
        whatsapp = _whatsapp(get)
        telegram_path = urlsplit(webhook_url).path or "/" if webhook_url else None
        if whatsapp is not None and whatsapp.webhook_path == telegram_path:
            # One path cannot take both channels' posts.
            raise SettingsError(
                "WHATSAPP_WEBHOOK_PATH", "web_path_taken", value=whatsapp.webhook_path
            )
        return cls(
            telegram_bot_token=token,
            telegram_bot_username=username,
            telegram_api_root=api_root,
            database_url=database_url,
            admin_telegram_ids=frozenset(admins),
            admin_whatsapp_numbers=_admin_whatsapp_numbers(get),
            default_timezone=zone,
            default_language=language,
            log_level=log_level,
            invite_max_attempts=_positive_int(get, "INVITE_MAX_ATTEMPTS", 5),
            invite_lockout_minutes=_positive_int(get, "INVITE_LOCKOUT_MINUTES", 15),
            max_evidence_mb=_positive_int(get, "MAX_EVIDENCE_MB", 20),
            delivery_rate_per_s=_positive_int(get, "DELIVERY_RATE_PER_S", 25),
            delivery_chat_rate_per_s=_positive_int(get, "DELIVERY_CHAT_RATE_PER_S", 1),
            update_concurrency=_update_concurrency(get),
            evidence_dir=_evidence_dir(get, database_url),
            web_host=get("WEB_HOST") or DEFAULT_WEB_HOST,
            web_port=_web_port(get),
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=webhook_secret,
            telegram_webhook_max_connections=_webhook_max_connections(get),
            log_format=log_format,
            worker_lock_check_s=_worker_lock_check_s(get),
            instance_name=_instance_name(get),
            web_base_url=web_base_url,
            web_session_secret=web_session_secret,
            whatsapp_phone_number=_whatsapp_phone_number(get),
            whatsapp=whatsapp,
        )


def _positive_int(get: Callable[[str], str | None], name: str, default: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,6}", raw) or int(raw) == 0:
        raise SettingsError(name, "positive_int")
    return int(raw)


def _whatsapp_phone_number(get: Callable[[str], str | None]) -> str | None:
    """WHATSAPP_PHONE_NUMBER, the business number wa.me links open a chat with, in E.164."""
    raw = get("WHATSAPP_PHONE_NUMBER")
    if raw is None:
        return None
    try:
        # The business number may be foreign or a landline (WhatsApp Business takes either);
        # 08… and 62… forms are read as Indonesian.
        return normalize_phone(raw, allow_foreign=True)
    except InvalidPhone as exc:
        if exc.code != "phone.error.not_mobile":
            raise SettingsError("WHATSAPP_PHONE_NUMBER", "phone", value=raw) from None
    number = phonenumbers.parse(raw, REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _admin_whatsapp_numbers(get: Callable[[str], str | None]) -> frozenset[str]:
    """ADMIN_WHATSAPP_NUMBERS: global admins' mobile numbers (08…, 62…, +62… or foreign +…)."""
    numbers = set()
    for part in re.split(r"[,\s]+", get("ADMIN_WHATSAPP_NUMBERS") or ""):
        if not part:
            continue
        try:
            numbers.add(normalize_phone(part, allow_foreign=True))
        except InvalidPhone:
            raise SettingsError("ADMIN_WHATSAPP_NUMBERS", "admin_phone", value=part) from None
    return frozenset(numbers)


def _whatsapp(get: Callable[[str], str | None]) -> WhatsAppSettings | None:
    """WHATSAPP_* for the Cloud API front end; all four credentials or none of them."""
    phone_number_id = get("WHATSAPP_PHONE_NUMBER_ID")
    if phone_number_id is None:
        return None
    if not re.fullmatch(r"\d{5,20}", phone_number_id):
        raise SettingsError("WHATSAPP_PHONE_NUMBER_ID", "whatsapp_id")
    required = {}
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"):
        value = get(name)
        if not value:
            raise SettingsError(name, "whatsapp_missing", needed_by="WHATSAPP_PHONE_NUMBER_ID")
        required[name] = value
    account_id = get("WHATSAPP_BUSINESS_ACCOUNT_ID")
    if account_id is not None and not re.fullmatch(r"\d{5,20}", account_id):
        raise SettingsError("WHATSAPP_BUSINESS_ACCOUNT_ID", "whatsapp_id")
    api_root = (get("WHATSAPP_API_ROOT") or DEFAULT_GRAPH_API_ROOT).rstrip("/")
    if urlsplit(api_root).scheme not in ("http", "https") or not urlsplit(api_root).netloc:
        raise SettingsError("WHATSAPP_API_ROOT", "url", value=api_root)
    path = get("WHATSAPP_WEBHOOK_PATH") or DEFAULT_WHATSAPP_WEBHOOK_PATH
    desk = path == DESK_PATH or path.startswith(DESK_PATH + "/")
    if not re.fullmatch(r"/[A-Za-z0-9/_-]*", path) or path in RESERVED_WEB_PATHS or desk:
        raise SettingsError("WHATSAPP_WEBHOOK_PATH", "web_path", value=path)
    tier = _positive_int(get, "WHATSAPP_TIER_LIMIT", WHATSAPP_TIERS[0])
    return WhatsAppSettings(
        phone_number_id=phone_number_id,
        access_token=required["WHATSAPP_ACCESS_TOKEN"],
        app_secret=required["WHATSAPP_APP_SECRET"],
        verify_token=required["WHATSAPP_VERIFY_TOKEN"],
        business_account_id=account_id,
        api_root=api_root,
        webhook_path=path,
        rate_per_s=_positive_int(get, "WHATSAPP_RATE_PER_S", DEFAULT_WHATSAPP_RATE_PER_S),
        tier_limit=tier,
    )


def _update_concurrency(get: Callable[[str], str | None]) -> int:
    raw = get("UPDATE_CONCURRENCY")
    if raw is None:
        return DEFAULT_UPDATE_CONCURRENCY
    if not re.fullmatch(r"\d{1,6}", raw) or not 1 <= int(raw) <= MAX_UPDATE_CONCURRENCY:
        raise SettingsError(
            "UPDATE_CONCURRENCY", "update_concurrency", highest=MAX_UPDATE_CONCURRENCY
        )
    return int(raw)


def default_evidence_dir(database_url: str) -> Path:
    """`evidence` beside a SQLite database file, so one folder holds (and one backup copies)
    everything the bot keeps; `./evidence` for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    database = url.database if url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        return Path(database).parent / "evidence"
    return Path("evidence")


def _evidence_dir(get: Callable[[str], str | None], database_url: str) -> Path:
    raw = get("EVIDENCE_DIR")
    folder = Path(raw).expanduser() if raw is not None else default_evidence_dir(database_url)
    if folder.exists() and not folder.is_dir():
        raise SettingsError("EVIDENCE_DIR", "evidence_dir", path=str(folder))
    return folder


def _web_port(get: Callable[[str], str | None]) -> int:
    raw = get("WEB_PORT")
    if raw is None:
        return DEFAULT_WEB_PORT
    # 0: any free port (the start-up line names it); handy for tests and side-by-side runs.
    if not re.fullmatch(r"\d{1,5}", raw) or int(raw) > 65535:
        raise SettingsError("WEB_PORT", "web_port")
    return int(raw)


def _webhook(get: Callable[[str], str | None]) -> tuple[str | None, str | None]:
    """TELEGRAM_WEBHOOK_URL and its secret, both checked as Telegram would check them."""
    url, secret = get("TELEGRAM_WEBHOOK_URL"), get("TELEGRAM_WEBHOOK_SECRET")
    if url is None:
        if secret is not None:
            # A secret alone would silently start polling: the URL was probably forgotten.
            raise SettingsError("TELEGRAM_WEBHOOK_URL", "webhook_url_missing")
        return None, None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingsError("TELEGRAM_WEBHOOK_URL", "webhook_https")
    try:
        port = parts.port or 443
    except ValueError:
        raise SettingsError("TELEGRAM_WEBHOOK_URL", "webhook_https") from None
    if port not in WEBHOOK_PORTS:
        raise SettingsError(
            "TELEGRAM_WEBHOOK_URL",
            "webhook_port",
            ports=", ".join(str(p) for p in sorted(WEBHOOK_PORTS)),
        )
    if (parts.path or "/") in RESERVED_WEB_PATHS:
        raise SettingsError("TELEGRAM_WEBHOOK_URL", "webhook_path", path=parts.path)
    if secret is None:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET", "webhook_secret_missing")
    if not _WEBHOOK_SECRET_SHAPE.match(secret):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET", "webhook_secret_shape")
    return url, secret


def _webhook_max_connections(get: Callable[[str], str | None]) -> int:
    raw = get("TELEGRAM_WEBHOOK_MAX_CONNECTIONS")
    if raw is None:
        return DEFAULT_WEBHOOK_MAX_CONNECTIONS
    if not re.fullmatch(r"\d{1,3}", raw) or not 1 <= int(raw) <= 100:
        raise SettingsError("TELEGRAM_WEBHOOK_MAX_CONNECTIONS", "webhook_max_connections")
    return int(raw)


# A session secret shorter than this is guessable; `openssl rand -hex 32` gives 64 characters.
WEB_SESSION_SECRET_MIN = 32


def _web_desk(get: Callable[[str], str | None]) -> tuple[str | None, str | None]:
    """WEB_BASE_URL (an http(s) address, no query) and WEB_SESSION_SECRET, required with it."""
    url, secret = get("WEB_BASE_URL"), get("WEB_SESSION_SECRET")
    if url is None:
        return None, secret
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError("WEB_BASE_URL", "web_base_url")
    if secret is None:
        raise SettingsError("WEB_SESSION_SECRET", "web_session_secret_missing")
    if len(secret) < WEB_SESSION_SECRET_MIN:
        raise SettingsError(
            "WEB_SESSION_SECRET", "web_session_secret_short", length=WEB_SESSION_SECRET_MIN
        )
    return url.rstrip("/"), secret


def _worker_lock_check_s(get: Callable[[str], str | None]) -> int:
    raw = get("WORKER_LOCK_CHECK_S")
    if raw is None:
        return DEFAULT_WORKER_LOCK_CHECK_S
    # Above 4 s a takeover could not stay within 15 s.
    if not re.fullmatch(r"\d", raw) or not 1 <= int(raw) <= MAX_WORKER_LOCK_CHECK_S:
        raise SettingsError(
            "WORKER_LOCK_CHECK_S", "worker_lock_check_s", highest=MAX_WORKER_LOCK_CHECK_S
        )
    return int(raw)


def _instance_name(get: Callable[[str], str | None]) -> str | None:
    raw = get("INSTANCE_NAME")
    if raw is not None and not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", raw):
        raise SettingsError("INSTANCE_NAME", "instance_name")
    return raw
