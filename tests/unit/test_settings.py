"""Settings: defaults, parsing, and a clear name for every bad value."""

from __future__ import annotations

import pytest

from bot.settings import DESK_PATH, Settings, SettingsError
from domain.enums import Channel

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults_need_nothing() -> None:
    settings = Settings.from_mapping({})
    assert settings.telegram_api_root == "https://api.telegram.org"
    assert settings.database_url == "sqlite:///properbot.db"
    assert settings.default_timezone.key == "Asia/Jakarta"
    assert settings.default_language == "id" and settings.admin_telegram_ids == frozenset()


def test_values_are_parsed() -> None:
    settings = Settings.from_mapping(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_ROOT": "http://127.0.0.1:8081/",
            "ADMIN_TELEGRAM_IDS": "12, 34 56",
            "DEFAULT_TIMEZONE": "wita",
            "DEFAULT_LANGUAGE": "EN",
            "LOG_LEVEL": "debug",
            "TELEGRAM_BOT_USERNAME": "@properbot_bot",
        }
    )
    assert settings.bot_base_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.admin_telegram_ids == frozenset({12, 34, 56})
    assert settings.default_timezone.key == "Asia/Makassar"
    assert settings.default_language == "en" and settings.log_level == "DEBUG"
    assert settings.telegram_bot_username == "properbot_bot"
    assert TOKEN not in repr(settings)  # the token is never printed


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_ROOT", "api.telegram.org"),
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("DATABASE_URL", "::::"),
        ("ADMIN_TELEGRAM_IDS", "12,abc"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("DEFAULT_LANGUAGE", "jv"),
        ("LOG_LEVEL", "LOUD"),
        ("INVITE_MAX_ATTEMPTS", "0"),
        ("INVITE_LOCKOUT_MINUTES", "lima"),
        ("TELEGRAM_BOT_USERNAME", "a b"),
        ("UPDATE_CONCURRENCY", "0"),
        ("UPDATE_CONCURRENCY", "101"),
        ("UPDATE_CONCURRENCY", "banyak"),
    ],
)
def test_a_bad_value_names_its_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({name: value})
    assert caught.value.name == name


def test_run_needs_a_token() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({}).require_token()
    assert caught.value.name == "TELEGRAM_BOT_TOKEN"


def test_update_concurrency_defaults_to_four_and_one_means_sequential() -> None:
    assert Settings.from_mapping({}).update_concurrency == 4
    assert Settings.from_mapping({"UPDATE_CONCURRENCY": "1"}).update_concurrency == 1
    assert Settings.from_mapping({"UPDATE_CONCURRENCY": "100"}).update_concurrency == 100
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"UPDATE_CONCURRENCY": "0"})
    assert caught.value.key == "settings.problem.update_concurrency"


WHATSAPP = {
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "EAAGm0PX4ZCpsBA-secret",
    "WHATSAPP_APP_SECRET": "app-secret-value",
    "WHATSAPP_VERIFY_TOKEN": "verify-me",
}


def test_whatsapp_is_off_without_its_number_id_and_parsed_with_it() -> None:
    assert Settings.from_mapping({}).whatsapp is None
    settings = Settings.from_mapping(
        {**WHATSAPP, "WHATSAPP_TIER_LIMIT": "2000", "WHATSAPP_API_ROOT": "http://127.0.0.1:9/"}
    )
    whatsapp = settings.whatsapp
    assert whatsapp is not None
    assert whatsapp.phone_number_id == "106540352242922"
    assert whatsapp.webhook_path == "/whatsapp" and whatsapp.rate_per_s == 72
    assert whatsapp.tier_limit == 2000 and whatsapp.api_root == "http://127.0.0.1:9"
    # Neither the access token nor the app secret is ever printed.
    assert "secret" not in repr(settings) and "verify-me" not in repr(settings)


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"WHATSAPP_ACCESS_TOKEN": ""}, "WHATSAPP_ACCESS_TOKEN"),
        ({"WHATSAPP_APP_SECRET": ""}, "WHATSAPP_APP_SECRET"),
        ({"WHATSAPP_VERIFY_TOKEN": ""}, "WHATSAPP_VERIFY_TOKEN"),
        ({"WHATSAPP_PHONE_NUMBER_ID": "+62811"}, "WHATSAPP_PHONE_NUMBER_ID"),
        ({"WHATSAPP_BUSINESS_ACCOUNT_ID": "waba"}, "WHATSAPP_BUSINESS_ACCOUNT_ID"),
        ({"WHATSAPP_WEBHOOK_PATH": "/healthz"}, "WHATSAPP_WEBHOOK_PATH"),
        ({"WHATSAPP_WEBHOOK_PATH": "whatsapp"}, "WHATSAPP_WEBHOOK_PATH"),
        ({"WHATSAPP_WEBHOOK_PATH": "/dasbor/wa"}, "WHATSAPP_WEBHOOK_PATH"),
        (
            {
                "WHATSAPP_WEBHOOK_PATH": "/hook",
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.go.id/hook",
                "TELEGRAM_WEBHOOK_SECRET": "s3cret",
            },
            "WHATSAPP_WEBHOOK_PATH",
        ),
        ({"WHATSAPP_API_ROOT": "graph.facebook.com"}, "WHATSAPP_API_ROOT"),
        ({"WHATSAPP_TIER_LIMIT": "0"}, "WHATSAPP_TIER_LIMIT"),
    ],
)
def test_a_bad_whatsapp_setting_is_named(changed: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({**WHATSAPP, **changed})
    assert caught.value.name == named


def test_global_admins_are_accounts_on_either_channel() -> None:
    settings = Settings.from_mapping(
        {"ADMIN_TELEGRAM_IDS": "12", "ADMIN_WHATSAPP_NUMBERS": "0812-3456-7890, +6281110002000"}
    )
    assert settings.admin_accounts == {
        (Channel.TELEGRAM, "12"),
        (Channel.WHATSAPP, "6281234567890"),
        (Channel.WHATSAPP, "6281110002000"),
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"ADMIN_WHATSAPP_NUMBERS": "0812, 12345"})
    assert caught.value.name == "ADMIN_WHATSAPP_NUMBERS"


def test_the_desk_path_the_settings_keep_free_is_the_desk_s() -> None:
    from web.desk import ROOT

    assert DESK_PATH == ROOT
