"""Settings of the web server, webhook mode and logs: defaults, and a clear refusal of each
value Telegram would refuse later (an http:// webhook, a missing or malformed secret)."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from domain.i18n import translator

SECRET = "s3cret_Token-42"
URL = "https://bot.bpsdm.example.go.id/telegram/webhook"


def test_polling_on_localhost_8080_with_console_logs_by_default() -> None:
    settings = Settings.from_mapping({})
    assert settings.telegram_webhook_url is None and settings.webhook_path is None
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.telegram_webhook_max_connections == 40
    assert settings.log_format == "console"


def test_webhook_mode_is_parsed_and_the_secret_never_printed() -> None:
    settings = Settings.from_mapping(
        {
            "TELEGRAM_WEBHOOK_URL": URL,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_MAX_CONNECTIONS": "10",
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "0",
            "LOG_FORMAT": "JSON",
        }
    )
    assert settings.webhook_path == "/telegram/webhook"
    assert settings.telegram_webhook_secret == SECRET
    assert settings.telegram_webhook_max_connections == 10
    assert (settings.web_host, settings.web_port, settings.log_format) == ("0.0.0.0", 0, "json")
    assert SECRET not in repr(settings)


def test_a_url_without_a_path_is_served_on_the_root() -> None:
    settings = Settings.from_mapping(
        {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org:8443", "TELEGRAM_WEBHOOK_SECRET": "x"}
    )
    assert settings.webhook_path == "/"


@pytest.mark.parametrize(
    ("env", "name", "key"),
    [
        (
            {"TELEGRAM_WEBHOOK_URL": "http://bot.example.org/hook", "TELEGRAM_WEBHOOK_SECRET": "x"},
            "TELEGRAM_WEBHOOK_URL",
            "webhook_https",
        ),
        ({"TELEGRAM_WEBHOOK_URL": "https:///hook"}, "TELEGRAM_WEBHOOK_URL", "webhook_https"),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org:8080/hook"},
            "TELEGRAM_WEBHOOK_URL",
            "webhook_port",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/metrics"},
            "TELEGRAM_WEBHOOK_URL",
            "webhook_path",
        ),
        ({"TELEGRAM_WEBHOOK_URL": URL}, "TELEGRAM_WEBHOOK_SECRET", "webhook_secret_missing"),
        (
            {"TELEGRAM_WEBHOOK_URL": URL, "TELEGRAM_WEBHOOK_SECRET": "no spaces"},
            "TELEGRAM_WEBHOOK_SECRET",
            "webhook_secret_shape",
        ),
        (
            {"TELEGRAM_WEBHOOK_URL": URL, "TELEGRAM_WEBHOOK_SECRET": "x" * 257},
            "TELEGRAM_WEBHOOK_SECRET",
            "webhook_secret_shape",
        ),
        ({"TELEGRAM_WEBHOOK_SECRET": SECRET}, "TELEGRAM_WEBHOOK_URL", "webhook_url_missing"),
        (
            {"TELEGRAM_WEBHOOK_MAX_CONNECTIONS": "101"},
            "TELEGRAM_WEBHOOK_MAX_CONNECTIONS",
            "webhook_max_connections",
        ),
        ({"WEB_PORT": "65536"}, "WEB_PORT", "web_port"),
        ({"WEB_PORT": "http"}, "WEB_PORT", "web_port"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT", "log_format"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], name: str, key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping(env)
    assert caught.value.name == name
    assert caught.value.key == f"settings.problem.{key}"
    for language in ("id", "en"):  # the message exists and renders in both languages
        assert translator(language)(caught.value.key, **caught.value.params)


def test_an_http_webhook_is_explained() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping(
            {"TELEGRAM_WEBHOOK_URL": "http://bot.example.org/h", "TELEGRAM_WEBHOOK_SECRET": "x"}
        )
    assert "HTTPS" in translator("id")(caught.value.key, **caught.value.params)
