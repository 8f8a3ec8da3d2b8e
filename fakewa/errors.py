"""Graph API errors as the WhatsApp Cloud API answers them, with Meta's codes and texts.

A refused call answers ``{"error": {"message", "type", "code", "error_data": {
"messaging_product", "details"}, "fbtrace_id"}}``; the same code, title and details appear in a
``failed`` status webhook when Meta reports the error after accepting the message.
"""

from __future__ import annotations

import secrets
from typing import Any

ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


class GraphError(Exception):
    """A refused Graph API call: HTTP status, Meta's code, title and details."""

    def __init__(
        self,
        status: int,
        code: int,
        title: str,
        details: str | None = None,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        prefixed: bool = True,
    ) -> None:
        super().__init__(f"({code}) {title}: {details}" if details else f"({code}) {title}")
        self.status = status
        self.code = code
        self.title = title
        self.details = details
        self.type = type_
        self.subcode = subcode
        # Graph API messages carry the code as "(#131056) <title>"; a few (auth) do not.
        self.prefixed = prefixed

    @property
    def message(self) -> str:
        return f"(#{self.code}) {self.title}" if self.prefixed else self.title

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(15)
        return {"error": error}

    def webhook_error(self) -> dict[str, Any]:
        """The error as a ``failed`` status webhook carries it."""
        out: dict[str, Any] = {"code": self.code, "title": self.title, "message": self.title}
        if self.details is not None:
            out["error_data"] = {"details": self.details}
        out["href"] = ERROR_CODES_URL
        return out


def invalid_token() -> GraphError:
    """401 for an access token that is not the app's."""
    return GraphError(
        401,
        190,
        "Invalid OAuth access token - Cannot parse access token",
        prefixed=False,
    )


def invalid_parameter(details: str) -> GraphError:
    """(#100) Invalid parameter: a field missing, of the wrong kind or not allowed."""
    return GraphError(400, 100, "Invalid parameter", details)


def unexpected_key(key: str, param: str) -> GraphError:
    """(#100) for a field the API does not know, as the Graph API names it."""
    return GraphError(400, 100, f'Unexpected key "{key}" on param "{param}".', None)


def required(param: str) -> GraphError:
    """(#100) for a required field left out."""
    return GraphError(400, 100, f"The parameter {param} is required.", None)


def not_valid(details: str) -> GraphError:
    """(#131009) Parameter value is not valid: over a limit (buttons, rows, lengths)."""
    return GraphError(400, 131009, "Parameter value is not valid", details)


def missing_parameter(details: str) -> GraphError:
    """(#131008) Required parameter is missing (inside a message object)."""
    return GraphError(400, 131008, "Required parameter is missing", details)


def unknown_object(object_id: str) -> GraphError:
    """(#100) for an id that does not exist (or no longer: expired media)."""
    return GraphError(
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        None,
        type_="GraphMethodException",
        subcode=33,
    )


def unknown_path() -> GraphError:
    """(#2500) for a path the fake does not serve."""
    return GraphError(400, 2500, "Unknown path components", None)


def reengagement() -> GraphError:
    """(#131047) a free-form message outside the 24-hour customer-service window."""
    return GraphError(
        400,
        131047,
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    )


def pair_rate_limit() -> GraphError:
    """(#131056) too many messages to one user in a short time."""
    return GraphError(
        400,
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    )


def throughput() -> GraphError:
    """(#130429) the phone number's messages-per-second throughput reached."""
    return GraphError(
        400,
        130429,
        "Rate limit hit",
        "Cloud API message throughput has been reached.",
    )


def undeliverable() -> GraphError:
    """(#131026) the recipient is not on WhatsApp (reported in a failed status)."""
    return GraphError(
        400,
        131026,
        "Message undeliverable",
        "Unable to deliver message. Reasons can include: The recipient phone number is not a "
        "WhatsApp phone number.",
    )


def template_missing(name: str, language: str) -> GraphError:
    """(#132001) no approved template of that name in that language."""
    return GraphError(
        400,
        132001,
        "Template name does not exist in the translation",
        f"template name ({name}) does not exist in {language}",
    )


def template_params(expected: int, got: int) -> GraphError:
    """(#132000) the parameters do not match the template's placeholders."""
    return GraphError(
        400,
        132000,
        "Number of parameters does not match the expected number of params",
        f"body: number of localizable_params ({got}) does not match the expected number of "
        f"params ({expected})",
    )


def media_upload_error(details: str) -> GraphError:
    """(#131053) media that cannot be uploaded or sent (type, size, unknown id)."""
    return GraphError(400, 131053, "Media upload error", details)
