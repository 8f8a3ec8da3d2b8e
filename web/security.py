"""The web desk's safety parts: signed session cookies, CSRF tokens and the response headers."""

from __future__ import annotations

import hashlib
import hmac

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "properbot_desk"
# No inline script or style anywhere: HTMX and the stylesheet come from /dasbor/static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The login page's address carries its token: never pass it on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Pages hold personal data: no shared or disk cache keeps them.
    "Cache-Control": "no-store",
}


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sign_session(secret: str, key: str) -> str:
    """The cookie value: the session key and its signature."""
    return f"{key}.{_mac(secret, 'session', key)}"


def unsign_session(secret: str, cookie: str | None) -> str | None:
    """The session key of a cookie whose signature holds; None for anything else."""
    if not cookie or "." not in cookie:
        return None
    key, _, signature = cookie.rpartition(".")
    if not key or not hmac.compare_digest(signature, _mac(secret, "session", key)):
        return None
    return key


def csrf_token(secret: str, session_key: str) -> str:
    """Bound to the session: a form from another session (or another site) does not carry it."""
    return _mac(secret, "csrf", session_key)


def csrf_ok(secret: str, session_key: str, sent: object) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent, csrf_token(secret, session_key))


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
