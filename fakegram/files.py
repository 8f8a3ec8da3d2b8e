"""Files known to the fake server: storage by file_id, image sniffing and sample images."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import struct

from fakegram.records import StoredFile

# A valid 1x1 JPEG and PNG, for tests that need a real image without shipping fixtures.
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwc"
    "KDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAA"
    "AAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="
)
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)

_PREFIX = {"photo": "AgAC", "document": "BQAC"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a JPEG, PNG, GIF, WebP or BMP image; None if it is not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data.startswith(b"BM") and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(int(w)), abs(int(h))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15 carry the frame size; C4, C8 and CC are other segments in that range.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


class FileStore:
    """Every file uploaded by the bot or sent by a simulated user, by file_id and by path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
    ) -> StoredFile:
        self._count += 1
        digest = hashlib.sha256(data + (source_url or "").encode()).hexdigest()
        file_id = f"{_PREFIX.get(kind, 'CQAC')}fg{self._count:06d}{digest[:24]}"
        # Telegram gives the same file_unique_id to the same content across uploads.
        file_unique_id = f"AQAD{digest[:12]}"
        width = height = None
        if kind == "photo":
            ext = ".jpg"
            size = image_size(data)
            width, height = size if size else (0, 0)
        else:
            ext = _extension(file_name, mime_type)
            if mime_type is None and file_name:
                mime_type = mimetypes.guess_type(file_name)[0]
        folder = "photos" if kind == "photo" else f"{kind}s"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=file_unique_id,
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{self._count}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            source_url=source_url,
        )
        self._by_id[file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def forget(self, file_id: str) -> None:
        """Telegram no longer serves this file: getFile then answers "wrong file identifier"."""
        stored = self._by_id.pop(file_id, None)
        if stored is not None:
            self._by_path.pop(stored.file_path, None)

    def __len__(self) -> int:
        return len(self._by_id)


def _extension(file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        suffix = "." + file_name.rsplit(".", 1)[1]
        if suffix[1:].isalnum() and len(suffix) <= 8:
            return suffix.lower()
    if mime_type:
        guessed = mimetypes.guess_extension(mime_type)
        if guessed:
            return guessed
    return ""
