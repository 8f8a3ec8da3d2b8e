"""PTB persistence in the database: conversation states and user/chat/bot/callback data as JSON."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput

from domain.clock import Clock
from models import ConversationState

USER, CHAT, BOT, CALLBACK = "user", "chat", "bot", "callback"
_CONVERSATION_PREFIX = "conv:"
# The column sizes of ConversationState.kind and .key; SQLite would not enforce them.
_KIND_LENGTH, _KEY_LENGTH = 40, 100
_JSON_FRIENDLY = "dicts with str keys, lists, str, int, float, bool and None"

Data = dict[Any, Any]
# Core, not the ORM, for the flush: one executemany statement, no unit of work.
_TABLE = cast(Table, ConversationState.__table__)
# As in telegram.ext._utils.types, which is private.
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """Keeps what ``ConversationHandler(persistent=True)`` and ``context.*_data`` need in the
    ``conversation_state`` table, so a restart resumes every conversation where it stood.

    Everything is stored as JSON, not pickled: handlers must keep ``user_data``, ``chat_data``,
    ``bot_data`` and arbitrary callback data JSON-friendly (dicts with str keys, lists, str,
    int, float, bool, None). Anything else (a tuple, an int key, a ``telegram.Message``) is
    refused with a ``TypeError`` naming where it sits, e.g. ``user_data[1001]['photo']``,
    because it would not come back as it went in. Conversation states may be int or str
    (``IntEnum``/``StrEnum`` members are stored as their plain value) or tuples of those.

    Rows are read once per kind when the Application starts (PTB asks only then) and written
    through whenever the Application hands over a change (every ``update_interval`` seconds and
    on shutdown). PTB hands over every changed row of one run at once; they are committed
    together, in one transaction with one multi-row upsert, and each ``update_*`` call returns
    once its row is committed (or raises what the commit raised). Data that did not change since
    this instance last wrote or read it is not written again, and a row that was never stored is
    not deleted.

    Several instances on one database share the rows but not PTB's in-memory state, which is
    loaded only at start: updates of one conversation must reach the same instance.
    """

    __slots__ = (
        "_batch",
        "_clock",
        "_inflight",
        "_pending",
        "_sessions",
        "_write_lock",
        "_written",
    )

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] | Clock,
        *,
        update_interval: float = 1,
        store_data: PersistenceInput | None = None,
    ) -> None:
        super().__init__(store_data=store_data, update_interval=update_interval)
        self._sessions = sessions
        self._clock: Callable[[], datetime] = clock if callable(clock) else clock.now
        # Canonical JSON of each row as last read or written, so PTB handing over the same
        # bot_data and callback data every interval costs no write.
        self._written: dict[tuple[str, str], str] = {}
        # Rows waiting for the next commit and rows being committed: (value, canonical JSON),
        # or None for a deletion. The database will hold inflight, then pending.
        self._pending: dict[tuple[str, str], tuple[Any, str] | None] = {}
        self._inflight: dict[tuple[str, str], str | None] = {}
        # The commit the next writer waits for; None when the next writer starts one.
        self._batch: asyncio.Future[None] | None = None
        # One commit at a time: one pooled connection, and SQLite's single writer free of
        # lock contention.
        self._write_lock = asyncio.Lock()

    # Reads, once per kind at start

    async def get_user_data(self) -> dict[int, Data]:
        """All stored user_data, by user id."""
        return {int(key): value for key, value in (await self._load(USER)).items()}

    async def get_chat_data(self) -> dict[int, Data]:
        """All stored chat_data, by chat id."""
        return {int(key): value for key, value in (await self._load(CHAT)).items()}

    async def get_bot_data(self) -> Data:
        """The stored bot_data, or an empty dict."""
        value = (await self._load(BOT)).get(BOT)
        return value if isinstance(value, dict) else {}

    async def get_callback_data(self) -> CDCData | None:
        """The stored callback data cache, or None if none was stored."""
        value = (await self._load(CALLBACK)).get(CALLBACK)
        if value is None:
            return None
        keyboards, queries = value
        return [(uuid, float(at), data) for uuid, at, data in keyboards], dict(queries)

    async def get_conversations(self, name: str) -> ConversationDict:
        """The stored states of one named conversation, by conversation key tuple."""
        rows = await self._load(_conversation_kind(name))
        return {tuple(json.loads(key)): _state_from_json(value) for key, value in rows.items()}

    # Writes, through to the database

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store a conversation's new state; None (the conversation ended) deletes its row."""
        kind, row_key = _conversation_kind(name), _conversation_key(key)
        if new_state is None:
            await self._delete(kind, row_key)
            return
        await self._write(kind, row_key, _state_to_json(new_state, f"conversation {name!r} {key}"))

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Store one user's user_data."""
        path = f"user_data[{user_id}]"
        await self._write(USER, str(user_id), _to_json(data, path, tuples=False))

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Store one chat's chat_data."""
        path = f"chat_data[{chat_id}]"
        await self._write(CHAT, str(chat_id), _to_json(data, path, tuples=False))

    async def update_bot_data(self, data: Data) -> None:
        """Store bot_data."""
        await self._write(BOT, BOT, _to_json(data, "bot_data", tuples=False))

    async def update_callback_data(self, data: CDCData) -> None:
        """Store the callback data cache: keyboards with their button data, and open queries."""
        keyboards, queries = data
        value = [
            [
                [uuid, at, _to_json(buttons, f"callback_data[{uuid!r}]", tuples=False)]
                for uuid, at, buttons in keyboards
            ],
            _to_json(queries, "callback_data queries", tuples=False),
        ]
        await self._write(CALLBACK, CALLBACK, value)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one user's user_data."""
        await self._delete(USER, str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget one chat's chat_data."""
        await self._delete(CHAT, str(chat_id))

    # The in-memory data is what handlers changed; nothing newer to pull from the database.

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Nothing to do: data is loaded at start."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Nothing to do: data is loaded at start."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Nothing to do: data is loaded at start."""

    async def flush(self) -> None:
        """Nothing to do: every write has already been committed."""

    # Storage

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(ConversationState.key, ConversationState.value).where(
                        ConversationState.kind == kind
                    )
                )
            ).all()
        for key, value in rows:
            self._written[(kind, key)] = _canonical(value)
        return {key: value for key, value in rows}

    async def _write(self, kind: str, key: str, value: Any) -> None:
        if self._stage((kind, key), (value, _canonical(value))):
            await self._commit_soon()

    async def _delete(self, kind: str, key: str) -> None:
        if self._stage((kind, key), None):
            await self._commit_soon()

    def _stage(self, row: tuple[str, str], change: tuple[Any, str] | None) -> bool:
        """Queue a row's new value (None: delete it); False when the database will already
        hold exactly that."""
        self._pending.pop(row, None)  # superseded by this newer change
        stored = self._inflight[row] if row in self._inflight else self._written.get(row)
        if stored == (None if change is None else change[1]):
            return False
        self._pending[row] = change
        return True

    async def _commit_soon(self) -> None:
        """Wait until the queued rows are committed, together with the other rows PTB hands
        over in the same run: the first writer commits them all once the others have queued."""
        if self._batch is not None:
            await asyncio.shield(self._batch)
            return
        batch = self._batch = asyncio.get_running_loop().create_future()
        try:
            # Application.update_persistence starts all its writes at once (asyncio.gather):
            # one turn of the event loop lets the others queue their rows before the commit.
            await asyncio.sleep(0)
            async with self._write_lock:
                if self._batch is batch:
                    self._batch = None  # rows queued from now on go into the next commit
                pending, self._pending = self._pending, {}
                self._inflight = {
                    row: None if change is None else change[1] for row, change in pending.items()
                }
                try:
                    await self._commit(pending)
                    for row, canonical in self._inflight.items():
                        if canonical is None:
                            self._written.pop(row, None)
                        else:
                            self._written[row] = canonical
                finally:
                    self._inflight = {}
        except BaseException as exc:
            if self._batch is batch:
                self._batch = None
            if not batch.done():
                failure = exc if isinstance(exc, Exception) else RuntimeError(f"{exc!r}")
                batch.set_exception(failure)
                batch.exception()  # retrieved: the writers waiting on it raise it themselves
            raise
        else:
            batch.set_result(None)

    async def _commit(self, rows: dict[tuple[str, str], tuple[Any, str] | None]) -> None:
        """Write and delete rows in one transaction."""
        now = self._clock()
        upserts = [
            {"kind": kind, "key": key, "value": change[0], "updated_at": now}
            for (kind, key), change in rows.items()
            if change is not None
        ]
        deletes = [row for row, change in rows.items() if change is None]
        async with self._sessions() as session, session.begin():
            connection = await session.connection()
            if upserts:
                await connection.execute(_upsert(connection.dialect.name), upserts)
            if deletes:
                await connection.execute(
                    delete(_TABLE).where(tuple_(_TABLE.c.kind, _TABLE.c.key).in_(deletes))
                )


def _upsert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (kind, key) DO UPDATE, for a list of rows (executemany)."""
    if dialect == "postgresql":
        pg = postgresql.insert(_TABLE)
        return pg.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"value": pg.excluded.value, "updated_at": pg.excluded.updated_at},
        )
    if dialect == "sqlite":
        lite = sqlite.insert(_TABLE)
        return lite.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"value": lite.excluded.value, "updated_at": lite.excluded.updated_at},
        )
    raise NotImplementedError(f"no upsert for {dialect}: use SQLite or PostgreSQL")


def _conversation_kind(name: str) -> str:
    kind = f"{_CONVERSATION_PREFIX}{name}"
    if len(kind) > _KIND_LENGTH:
        raise ValueError(
            f"conversation name {name!r} is too long to persist: "
            f"at most {_KIND_LENGTH - len(_CONVERSATION_PREFIX)} characters"
        )
    return kind


def _conversation_key(key: ConversationKey) -> str:
    encoded = json.dumps(list(key))
    if len(encoded) > _KEY_LENGTH:
        raise ValueError(f"conversation key {key!r} is too long to persist")
    return encoded


def _state_to_json(state: object, where: str) -> Any:
    try:
        return _to_json(state, "state", tuples=True, containers=False)
    except TypeError as exc:
        raise TypeError(
            f"{where}: cannot persist state {state!r} ({type(state).__name__}); "
            "use int or str states (IntEnum/StrEnum members are fine) or tuples of them"
        ) from exc


def _state_from_json(value: Any) -> object:
    # States are dict keys in ConversationHandler, so a list can only have been a tuple.
    if isinstance(value, list):
        return tuple(_state_from_json(item) for item in value)
    return value


def _to_json(value: Any, path: str, *, tuples: bool, containers: bool = True) -> Any:
    """The value as plain JSON types, or a TypeError naming the path of what cannot be."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{path} is {value}, which JSON cannot hold")
        return float(value)
    if isinstance(value, tuple) and tuples:
        return [
            _to_json(item, f"{path}[{i}]", tuples=tuples, containers=containers)
            for i, item in enumerate(value)
        ]
    if isinstance(value, list) and containers:
        return [_to_json(item, f"{path}[{i}]", tuples=tuples) for i, item in enumerate(value)]
    if isinstance(value, dict) and containers:
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{path} has the key {key!r} ({type(key).__name__}); persisted data "
                    f"must be JSON-friendly: {_JSON_FRIENDLY}"
                )
            plain[str(key)] = _to_json(item, f"{path}[{key!r}]", tuples=tuples)
        return plain
    raise TypeError(
        f"{path} is of type {type(value).__name__}, which cannot be persisted as JSON; "
        f"keep it JSON-friendly: {_JSON_FRIENDLY}"
    )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
