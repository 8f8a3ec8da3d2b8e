"""The evidence store: every file a person sends is kept once, by its SHA-256.

Content addressing makes a second copy of the same photo free and a re-sent file idempotent.
Telegram's file_id is only a cache beside it: the store is what the portfolio, the web desk and
another channel read. A folder is the default; an object store can take its place behind
`EvidenceStore` without touching callers.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_HEX = frozenset("0123456789abcdef")


class BadBlobKey(ValueError):
    """A key that is not a SHA-256 hex digest; never turned into a path."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


class EvidenceStore(Protocol):
    async def put(self, data: bytes) -> StoredBlob:
        """Keep the bytes (once) and return their key; the same bytes give the same key."""
        ...

    async def get(self, sha256: str) -> bytes | None:
        """The bytes, or None when nothing is kept under that key (erased, never stored)."""
        ...

    async def delete(self, sha256: str) -> None:
        """Forget the bytes; deleting a missing key is not an error."""
        ...


def blob_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checked(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise BadBlobKey(sha256)
    return sha256


class FolderStore:
    """Files under `root/ab/abcdef...`: two-level fan-out keeps directories small."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        key = _checked(sha256)
        return self.root / key[:2] / key

    async def put(self, data: bytes) -> StoredBlob:
        key = blob_key(data)
        await asyncio.to_thread(self._write, self._path(key), data)
        return StoredBlob(sha256=key, size=len(data))

    async def get(self, sha256: str) -> bytes | None:
        path = self._path(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self._path(sha256).unlink, missing_ok=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():  # same key, same bytes: already kept
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed, so a crash never leaves half a file under a key.
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class MemoryStore:
    """For tests and the CLI's dry runs: the same contract, kept in a dict."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(self, data: bytes) -> StoredBlob:
        key = blob_key(data)
        self.blobs.setdefault(key, data)
        return StoredBlob(sha256=key, size=len(data))

    async def get(self, sha256: str) -> bytes | None:
        return self.blobs.get(_checked(sha256))

    async def delete(self, sha256: str) -> None:
        self.blobs.pop(_checked(sha256), None)


def open_store(folder: Path | None) -> EvidenceStore:
    """The store the settings name: a folder, or memory for settings built in code without one
    (tests and tools that keep nothing)."""
    return MemoryStore() if folder is None else FolderStore(folder)
