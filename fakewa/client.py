"""An httpx client that sends Graph API requests meant for Meta to the fake server instead.

pywa_async always sets its session's base URL to https://graph.facebook.com/v{version}; a
transport that rewrites the scheme, host and port (keeping path and query) points it at fakewa
without touching pywa's internals.
"""

from __future__ import annotations

from typing import Any

import httpx

GRAPH_HOSTS = frozenset({"graph.facebook.com", "api.facebook.com", "lookaside.fbsbx.com"})


class RedirectTransport(httpx.AsyncBaseTransport):
    """Send requests for Meta's hosts to ``api_root``; anything else goes out unchanged."""

    def __init__(self, api_root: str, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._root = httpx.URL(api_root)
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in GRAPH_HOSTS:
            request.url = request.url.copy_with(
                scheme=self._root.scheme, host=self._root.host, port=self._root.port
            )
            request.headers["Host"] = self._root.netloc.decode()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def redirecting_client(api_root: str, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx.AsyncClient for pywa_async's ``WhatsApp(session=...)`` that reaches fakewa."""
    return httpx.AsyncClient(transport=RedirectTransport(api_root), **kwargs)
