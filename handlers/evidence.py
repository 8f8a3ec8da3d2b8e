"""Evidence files from Telegram into the evidence store: downloaded once, when they arrive."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot
from telegram.error import TelegramError

from services.reports import EvidenceItem
from storage.evidence_store import EvidenceStore

log = logging.getLogger(__name__)


async def download(bot: Bot, file_id: str) -> bytes:
    """The file's bytes through getFile and the file download; TelegramError when Telegram
    cannot give them (gone, too big for bots, network)."""
    file = await bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def fetch(bot: Bot, item: EvidenceItem) -> bytes | None:
    """Download a received file: its bytes, or None (logged) when Telegram could not give them.

    Separate from `keep` so the caller can check the real size before anything is stored."""
    try:
        return await download(bot, item.ref)
    except TelegramError as exc:
        log.warning("evidence %s not downloaded (%s)", item.unique_ref, exc)
        return None


async def keep(store: EvidenceStore, item: EvidenceItem, data: bytes) -> EvidenceItem:
    """Put the bytes in the store; the item then carries their key and real size."""
    blob = await store.put(data)
    return replace(item, sha256=blob.sha256, size=blob.size)
