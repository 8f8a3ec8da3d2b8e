"""The web desk's settings, its signed cookies and CSRF tokens, and `properbot web --help`."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.settings import Settings, SettingsError
from web.security import csrf_ok, csrf_token, sign_session, unsign_session

SECRET = "k" * 40


def test_the_desk_address_needs_a_long_enough_secret() -> None:
    with pytest.raises(SettingsError) as missing:
        Settings.from_mapping({"WEB_BASE_URL": "https://desk.example.go.id"})
    assert missing.value.name == "WEB_SESSION_SECRET"
    assert missing.value.key == "settings.problem.web_session_secret_missing"

    with pytest.raises(SettingsError) as short:
        Settings.from_mapping(
            {"WEB_BASE_URL": "https://desk.example.go.id", "WEB_SESSION_SECRET": "short"}
        )
    assert short.value.key == "settings.problem.web_session_secret_short"

    settings = Settings.from_mapping(
        {"WEB_BASE_URL": "https://desk.example.go.id/", "WEB_SESSION_SECRET": SECRET}
    )
    assert settings.web_base_url == "https://desk.example.go.id"
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    "url", ["desk.example.go.id", "ftp://desk.example.go.id", "https://desk.example.go.id/?a=1"]
)
def test_a_desk_address_must_be_a_plain_http_address(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"WEB_BASE_URL": url, "WEB_SESSION_SECRET": SECRET})
    assert caught.value.key == "settings.problem.web_base_url"


def test_a_cookie_is_accepted_only_with_its_own_signature() -> None:
    cookie = sign_session(SECRET, "session-key")
    assert unsign_session(SECRET, cookie) == "session-key"
    assert unsign_session("x" * 40, cookie) is None
    assert unsign_session(SECRET, "other-key." + cookie.rpartition(".")[2]) is None
    assert unsign_session(SECRET, "no-signature") is None
    assert unsign_session(SECRET, None) is None


def test_a_csrf_token_belongs_to_one_session() -> None:
    token = csrf_token(SECRET, "session-a")
    assert csrf_ok(SECRET, "session-a", token)
    assert not csrf_ok(SECRET, "session-b", token)
    assert not csrf_ok(SECRET, "session-a", None)


def test_properbot_web_has_its_help_in_the_default_language(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "id")
    with pytest.raises(SystemExit) as done:
        main(["web", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "WEB_BASE_URL" in out and "menerapkan migrasi" in out.lower()
