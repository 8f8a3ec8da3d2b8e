"""A message's files grouped into albums: photos first, documents apart, ten at most each."""

from __future__ import annotations

from domain.albums import ALBUM_LIMIT, albums


def kind(item: str) -> str:
    return item.split(":")[0]


def test_photos_come_first_and_are_never_mixed_with_documents() -> None:
    items = ["document:a", "photo:1", "document:b", "photo:2"]
    assert albums(items, kind) == [["photo:1", "photo:2"], ["document:a", "document:b"]]


def test_a_long_run_is_split_into_albums_of_ten_in_order() -> None:
    photos = [f"photo:{i}" for i in range(23)]
    groups = albums(photos, kind)
    assert [len(g) for g in groups] == [ALBUM_LIMIT, ALBUM_LIMIT, 3]
    assert [item for group in groups for item in group] == photos


def test_a_single_file_is_a_group_of_one_and_nothing_gives_nothing() -> None:
    assert albums(["document:x"], kind) == [["document:x"]]
    assert albums([], kind) == []
