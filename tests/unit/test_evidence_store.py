"""The evidence store's contract, for the folder and the in-memory store alike."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, default_evidence_dir
from services.evidence import blob_keys
from storage.evidence_store import (
    BadBlobKey,
    EvidenceStore,
    FolderStore,
    MemoryStore,
    open_store,
)

PHOTO = b"\xff\xd8\xff\xe0 a photo of the first meeting"
MINUTES = b"%PDF-1.4 notulen rapat"


@pytest.fixture(params=["folder", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EvidenceStore:
    if request.param == "folder":
        return FolderStore(tmp_path / "evidence")
    return MemoryStore()


async def test_bytes_come_back_under_their_sha256(store: EvidenceStore) -> None:
    blob = await store.put(PHOTO)

    assert blob.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert blob.size == len(PHOTO)
    assert await store.get(blob.sha256) == PHOTO


async def test_the_same_bytes_twice_are_kept_once_under_one_key(
    store: EvidenceStore, tmp_path: Path
) -> None:
    first = await store.put(PHOTO)
    second = await store.put(bytes(PHOTO))

    assert first == second
    assert await store.get(first.sha256) == PHOTO
    if isinstance(store, FolderStore):
        assert [p.name for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == [first.sha256]


async def test_a_missing_key_gives_none_and_deleting_it_is_no_error(store: EvidenceStore) -> None:
    absent = hashlib.sha256(b"never stored").hexdigest()

    assert await store.get(absent) is None
    await store.delete(absent)

    kept = await store.put(MINUTES)
    await store.delete(kept.sha256)
    await store.delete(kept.sha256)
    assert await store.get(kept.sha256) is None


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "ab",
        "A" * 64,  # upper case is not how keys are written
        "g" * 64,
        hashlib.sha256(b"x").hexdigest() + "/",
        "",
    ],
)
async def test_a_key_that_is_not_a_sha256_is_refused_never_a_path(
    store: EvidenceStore, key: str, tmp_path: Path
) -> None:
    with pytest.raises(BadBlobKey):
        await store.get(key)
    with pytest.raises(BadBlobKey):
        await store.delete(key)


async def test_the_folder_writes_atomically_and_leaves_no_part_file(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "evidence")
    blob = await store.put(PHOTO)

    files = [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]
    assert files == [tmp_path / "evidence" / blob.sha256[:2] / blob.sha256]
    assert not list((tmp_path / "evidence").rglob("*.part"))


async def test_a_failed_write_leaves_neither_the_key_nor_a_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FolderStore(tmp_path / "evidence")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("storage.evidence_store.os.replace", broken_replace)
    with pytest.raises(OSError):
        await store.put(PHOTO)
    monkeypatch.undo()

    assert await store.get(hashlib.sha256(PHOTO).hexdigest()) is None
    assert not list((tmp_path / "evidence").rglob("*.part"))
    assert [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()] == []


def test_open_store_is_a_folder_when_one_is_named(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path), FolderStore)
    assert isinstance(open_store(None), MemoryStore)


def test_evidence_dir_defaults_beside_the_sqlite_file_else_the_working_folder() -> None:
    assert default_evidence_dir("sqlite:////srv/properbot/properbot.db") == Path(
        "/srv/properbot/evidence"
    )
    assert default_evidence_dir("sqlite:///properbot.db") == Path("evidence")
    assert default_evidence_dir("sqlite://") == Path("evidence")
    assert default_evidence_dir("postgresql://u:p@db/properbot") == Path("evidence")
    loaded = Settings.from_mapping({"DATABASE_URL": "sqlite:////srv/pb/data.db"})
    assert loaded.evidence_dir == Path("/srv/pb/evidence")


def test_evidence_dir_from_the_environment_must_not_be_a_file(tmp_path: Path) -> None:
    assert Settings.from_mapping({"EVIDENCE_DIR": str(tmp_path)}).evidence_dir == tmp_path
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping({"EVIDENCE_DIR": str(a_file)})
    assert refused.value.name == "EVIDENCE_DIR"
    assert refused.value.key == "settings.problem.evidence_dir"


def test_blob_keys_are_found_anywhere_in_a_draft() -> None:
    key = hashlib.sha256(PHOTO).hexdigest()
    draft = {
        "report": {"evidence": [{"file_id": "x", "sha256": key}, {"sha256": None}]},
        "stray": {"evidence": [{"sha256": "not a key"}]},
    }
    assert blob_keys(draft) == {key}
