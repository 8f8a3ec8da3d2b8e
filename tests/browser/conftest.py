"""Browser tests of the web desk: the distribution's Chromium (never Playwright's own download),
one browser for the whole run, and per test module one server: the real bot polling the fake
Bot API and the web app with the desk on a real port, on a database of its own.

Playwright's sync API runs its event loop in the test's thread and leaves it marked as
running there until the session ends. So the server runs in a thread with its own loop (tests
hand it coroutines with `run()`), its database is made and dropped in that thread, and these
tests run after all others, whose own event loops could not start after them.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy.engine import make_url

from bot.harness import RunningBot, running_bot
from bot.settings import Settings
from domain.clock import ManualClock
from fakegram import FakeTelegram
from handlers.runtime import Runtime
from models.db import create_engine
from tests.conftest import ADMIN_ID, BACKENDS, _admin, _migrate, _server_url
from tests.integration.helpers import say, text
from web.app import create_web_app
from web.desk import DeskConfig
from web.server import WebServer, bind

# Debian's package (.ci/run installs it when missing); CHROMIUM names another binary.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SECRET = "b" * 40
BOT_USERNAME = "properbot_test_bot"
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 08.00 WIB
# Set to a folder (docs/screenshots) to have the tests save screenshots of the main pages.
SCREENSHOTS = os.environ.get("PROPERBOT_SCREENSHOTS")
# Screenshots are taken at a desktop width; the pages are also checked at a phone's.
VIEWPORT = {"width": 1100, "height": 760}

T = TypeVar("T")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, on the distribution's Chromium."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "id-ID"}


@dataclass
class DeskServer:
    """The bot, the fake Telegram server and the web desk, running in a thread of their own."""

    database_url: str
    evidence_dir: Path
    clock: ManualClock = field(default_factory=lambda: ManualClock(NOW))
    base_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _thread: threading.Thread | None = None
    _started: Future[None] = field(default_factory=Future)
    _bot: RunningBot | None = None
    _telegram: FakeTelegram | None = None
    _engine: Any = None

    @property
    def bot(self) -> RunningBot:
        assert self._bot is not None
        return self._bot

    @property
    def telegram(self) -> FakeTelegram:
        assert self._telegram is not None
        return self._telegram

    @property
    def engine(self) -> Any:
        return self._engine

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="desk-server", daemon=True)
        self._thread.start()
        self._started.result(timeout=60)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=60)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (where the bot and the database live)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            if not self._started.done():
                self._started.set_exception(exc)
            raise

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        sock = bind("127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(
            admin_telegram_ids=frozenset({ADMIN_ID}),
            evidence_dir=self.evidence_dir,
            web_base_url=self.base_url,
            web_session_secret=SECRET,
        )
        postgres = make_url(self.database_url).get_backend_name() == "postgresql"
        name = make_url(self.database_url).database
        if postgres:
            await _admin(f'CREATE DATABASE "{name}"')
        await _migrate(self.database_url)
        self._engine = create_engine(self.database_url)
        try:
            async with (
                FakeTelegram(bot_username=BOT_USERNAME) as telegram,
                running_bot(telegram, settings, clock=self.clock, engine=self._engine) as bot,
            ):
                self._telegram, self._bot = telegram, bot
                config = DeskConfig(
                    base_url=self.base_url,
                    secret=SECRET,
                    admin_accounts=settings.admin_accounts,
                    default_language="id",
                    default_zone=settings.default_timezone,
                    evidence_store=Runtime.of(bot.app).evidence_store,
                    clock=self.clock,
                    bot_username=lambda: BOT_USERNAME,
                )
                server = WebServer(create_web_app(self._engine, desk=config), sock)
                await server.start()
                self._started.set_result(None)
                try:
                    await self._stop.wait()
                finally:
                    await server.stop()
        finally:
            await self._engine.dispose()
            if postgres:
                await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests last (see the module's docstring); the order is otherwise kept."""
    here = Path(__file__).parent
    items.sort(key=lambda item: item.path.is_relative_to(here))


# The first database the suite runs on: the desk's queries are tested on each database by
# tests/integration/test_web_desk*; here it is the browser's side that is under test.
@pytest.fixture(scope="module", params=BACKENDS[:1])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the module's server makes its database (in its own thread, see above)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'properbot.sqlite3'}"
    return _server_url(f"test_browser_{os.getpid()}_{secrets.token_hex(4)}")


@pytest.fixture(scope="module")
def desk(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    server = DeskServer(database_url, tmp_path_factory.mktemp("evidence"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class People:
    """Sign people in once per module by the real link from the chat; later pages reuse the
    cookie in a fresh browser context of their own."""

    desk: DeskServer
    browser: Browser
    states: dict[int, Any] = field(default_factory=dict)
    contexts: list[BrowserContext] = field(default_factory=list)

    def link(self, user: Any) -> str:
        """What /dasbor answers in the chat: the one-time link."""
        reply = self.desk.run(say(self.desk.bot, user, "/dasbor"))
        found = next((w for w in reply.text.split() if "/dasbor/masuk?token=" in w), None)
        assert found is not None, reply.text
        return str(found).rstrip(".,)")

    def sign_in(self, page: Page, user: Any) -> None:
        """Open the link from the chat and press "Masuk", as a person would."""
        page.goto(self.link(user))
        page.get_by_role("button", name=text("web.login.button")).click()
        page.wait_for_url(f"{self.desk.base_url}/dasbor/")

    def page_as(self, user: Any) -> Page:
        """A new browser window signed in as `user`."""
        if user.id not in self.states:
            context = self.browser.new_context(viewport=VIEWPORT, locale="id-ID")  # type: ignore[arg-type]
            self.contexts.append(context)
            page = context.new_page()
            self.sign_in(page, user)
            self.states[user.id] = context.storage_state()
            return page
        context = self.browser.new_context(
            viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="id-ID",
            storage_state=self.states[user.id],
        )
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="module")
def people(desk: DeskServer, browser: Browser) -> Iterator[People]:
    found = People(desk, browser)
    yield found
    found.close()


def screenshot(page: Page, name: str) -> None:
    """With PROPERBOT_SCREENSHOTS set, the page as a small PNG there (256 colours)."""
    if not SCREENSHOTS:
        return
    from PIL import Image

    data = page.screenshot(full_page=True)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    # Long pages are cut: the README shows the top of each page.
    image = image.crop((0, 0, image.width, min(image.height, 1100)))
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64).save(folder / f"{name}.png", optimize=True)
