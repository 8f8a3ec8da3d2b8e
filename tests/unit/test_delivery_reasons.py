"""Telegram's refusals become a few reasons organizers can act on, in both languages."""

from __future__ import annotations

import pytest

from bot.sender import bad_request_reason, forbidden_reason
from domain.enums import DeliveryFailure
from domain.i18n import translator
from services import delivery


@pytest.mark.parametrize(
    ("description", "group", "reason"),
    [
        ("Forbidden: bot was blocked by the user", False, DeliveryFailure.BLOCKED),
        ("Forbidden: user is deactivated", False, DeliveryFailure.DEACTIVATED),
        (
            "Forbidden: bot can't initiate conversation with a user",
            False,
            DeliveryFailure.NOT_STARTED,
        ),
        ("Forbidden: bot was kicked from the group chat", True, DeliveryFailure.REMOVED),
        ("Forbidden: bot is not a member of the supergroup chat", True, DeliveryFailure.REMOVED),
        ("Forbidden: something new", True, DeliveryFailure.REMOVED),
        ("Forbidden: something new", False, DeliveryFailure.UNREACHABLE),
    ],
)
def test_a_403_names_why(description: str, group: bool, reason: DeliveryFailure) -> None:
    assert forbidden_reason(description, group=group) is reason


@pytest.mark.parametrize(
    ("description", "group", "reason"),
    [
        ("Chat not found", False, DeliveryFailure.NOT_STARTED),
        ("Chat not found", True, DeliveryFailure.REMOVED),
        ("Wrong file identifier/http url specified", False, DeliveryFailure.REJECTED),
        ("Can't parse entities: unsupported start tag", True, DeliveryFailure.REJECTED),
    ],
)
def test_a_400_is_a_chat_unknown_or_a_message_refused(
    description: str, group: bool, reason: DeliveryFailure
) -> None:
    assert bad_request_reason(description, group=group) is reason


def test_rows_without_a_code_are_read_from_the_applications_own_words() -> None:
    assert delivery.failure_reason("blocked", "403: Forbidden: bot was blocked by the user") is (
        DeliveryFailure.BLOCKED
    )
    assert delivery.failure_reason(None, delivery.NOT_JOINED) is DeliveryFailure.NOT_JOINED
    assert delivery.failure_reason(None, "cancelled") is DeliveryFailure.CANCELLED
    assert delivery.failure_reason(None, "recipient erased") is DeliveryFailure.ERASED
    assert delivery.failure_reason(None, "400: Bad Request: odd") is DeliveryFailure.OTHER
    assert delivery.failure_reason("from-the-future", None) is DeliveryFailure.OTHER
    assert delivery.failure_reason(None, None) is None


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_reason_has_a_text_without_telegrams_words(language: str) -> None:
    t = translator(language)
    texts = [t(reason.message_key) for reason in DeliveryFailure]
    assert len(set(texts)) == len(texts)
    assert not any("Forbidden" in text or "403" in text for text in texts)
