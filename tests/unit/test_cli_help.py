"""`properbot --help` and its usage errors speak DEFAULT_LANGUAGE, like every other CLI message."""

from __future__ import annotations

import argparse
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli import _parser, main
from bot.cli_help import ARGPARSE_WORDS, argparse_gettext, argparse_language
from domain.i18n import SUPPORTED_LANGUAGES, Translator, catalog_keys, translator

ENGLISH_ARGPARSE = ("usage:", "positional arguments", "options:", "show this help message")


@pytest.fixture
def cli_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder without a .env, DEFAULT_LANGUAGE unset (Indonesian by default)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEFAULT_LANGUAGE", raising=False)
    return tmp_path


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_is_indonesian_by_default(
    cli_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _help([], capsys)
    assert out.startswith("penggunaan: properbot [-h] PERINTAH ...")
    assert "Bot Telegram untuk proyek perubahan dalam pelatihan kepemimpinan" in out
    assert "argumen posisi:" in out and "\nopsi:\n" in out
    assert "menampilkan bantuan ini, lalu keluar" in out
    assert "administrasi angkatan" in out
    assert not [word for word in ENGLISH_ARGPARSE if word in out]

    out = _help(["seminar", "add"], capsys)
    assert out.startswith("penggunaan: properbot seminar add [-h] --cohort COHORT")
    assert "Penyaji, mentor dan coach mereka, serta penguji segera menerima" in out
    assert "--cohort COHORT       nama angkatan" in out
    assert "jenis seminar: rancangan atau evaluasi" in out
    assert not [word for word in ENGLISH_ARGPARSE if word in out]


def test_help_is_english_with_default_language_en(
    cli_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    out = _help([], capsys)
    assert out.startswith("usage: properbot [-h] COMMAND ...")
    assert "positional arguments:" in out and "\noptions:\n" in out
    assert "show this help message and exit" in out
    assert "cohort (angkatan) administration" in out

    out = _help(["seminar", "add"], capsys)
    assert out.startswith("usage: properbot seminar add [-h] --cohort COHORT")
    assert "the kind of seminar: rancangan (design) or evaluasi (results)" in " ".join(out.split())
    assert "penggunaan" not in out and "nama angkatan" not in out


def test_the_language_may_come_from_the_env_file(
    cli_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_folder / ".env").write_text("DEFAULT_LANGUAGE=en\n")
    assert _help(["audit"], capsys).startswith("usage: properbot audit")


def test_usage_errors_are_translated_too(
    cli_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["seminar", "add", "--cohort", "X", "--kind", "akhir"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("penggunaan: properbot seminar add")
    assert (
        "properbot seminar add: kesalahan: argumen --kind: pilihan 'akhir' tidak tersedia "
        "(pilih salah satu: 'rancangan', 'evaluasi')"
    ) in err

    with pytest.raises(SystemExit):
        main(["audit", "--cohort", "X", "--limit", "nol"])
    assert "argumen --limit: harus bilangan bulat 1 atau lebih: nol" in capsys.readouterr().err

    with pytest.raises(SystemExit):
        main(["invites"])
    assert "kesalahan: argumen berikut wajib diisi: --cohort" in capsys.readouterr().err

    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    with pytest.raises(SystemExit):
        main(["invites"])
    assert "error: the following arguments are required: --cohort" in capsys.readouterr().err


def test_argparse_is_left_as_it_was(cli_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The hook lives only while the command line is parsed, also when parsing ends in exit.
    before = argparse._  # type: ignore[attr-defined]
    _help([], capsys)
    assert argparse._ is before  # type: ignore[attr-defined]
    assert argparse.ArgumentParser(prog="x").format_usage().startswith("usage: x")


@pytest.mark.parametrize("short", ["-h", "--help"])
def test_the_real_command_answers_help(short: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DEFAULT_LANGUAGE"}
    for language, usage in (("id", "penggunaan: properbot"), ("en", "usage: properbot")):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "seminar", "criteria", short],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**env, "DEFAULT_LANGUAGE": language, "PYTHONPATH": str(Path.cwd())},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{usage} seminar criteria"), done.stdout


@dataclass
class _Recording:
    """A translator that notes every key the parser asks for."""

    t: Translator
    keys: set[str] = field(default_factory=set)

    def __call__(self, key: str, /, **params: object) -> str:
        self.keys.add(key)
        return self.t(key, **params)


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_help_key_exists_and_every_command_renders(language: str) -> None:
    recording = _Recording(translator(language))
    with argparse_language(recording.t):
        parser = _parser(recording)  # type: ignore[arg-type]
        helps = [child.format_help() for child in _parsers(parser)]
    assert len(helps) > 25  # every command and action, down to `seminar berita-acara`
    defined = {key for key in catalog_keys(language) if key.startswith("cli_help.")}
    # The --limit complaint is asked for only when a value is refused (tested above).
    used = recording.keys | set(ARGPARSE_WORDS.values()) | {"cli_help.option.positive"}
    assert used <= defined, f"missing in {language}: {sorted(used - defined)}"
    assert defined <= used, f"never used ({language}): {sorted(defined - used)}"
    if language == "id":
        for text in helps:
            assert not [word for word in ENGLISH_ARGPARSE if word in text], text


_PERCENT = re.compile(r"%(?:\(\w+\))?[sr]")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_argparse_words_keep_argparse_placeholders(language: str) -> None:
    gettext = argparse_gettext(translator(language))
    source = inspect.getsource(argparse)
    for english in ARGPARSE_WORDS:
        # Each English message is one argparse really asks for (a Python upgrade may reword).
        assert repr(english) in source or f'"{english}"' in source, english
        assert sorted(_PERCENT.findall(gettext(english))) == sorted(_PERCENT.findall(english))
    assert translator("en").template(ARGPARSE_WORDS["usage: "]) == "usage: "
    assert gettext("some message argparse has but we do not") == (
        "some message argparse has but we do not"
    )
