"""The error a fake Bot API call answers with, shaped like Telegram's error responses."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refused Bot API call: HTTP status, Telegram's description and optional parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """403 with Telegram's "Forbidden: " prefix."""
    return ApiError(403, f"Forbidden: {detail}")


def unauthorized() -> ApiError:
    """401 for a token that is not the bot's."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """404 for a method name or file path Telegram does not know."""
    return ApiError(404, "Not Found")
