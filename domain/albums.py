"""How a message's files are grouped into albums: photos and documents apart, ten at most."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

# The most files one album (media group) holds.
ALBUM_LIMIT = 10

T = TypeVar("T")


def albums(items: Sequence[T], kind: Callable[[T], str]) -> list[list[T]]:
    """The files in the order they go out: the photos first, then the documents (the two are
    never mixed in one album), each split into albums of at most `ALBUM_LIMIT`, in the order
    given. A group of one is a single file, sent on its own."""
    photos = [item for item in items if kind(item) == "photo"]
    documents = [item for item in items if kind(item) != "photo"]
    return [
        group[start : start + ALBUM_LIMIT]
        for group in (photos, documents)
        for start in range(0, len(group), ALBUM_LIMIT)
    ]
