"""The Cloud API client: pywa_async's WhatsApp, built once from the settings."""

from __future__ import annotations

from typing import Any

import httpx
from pywa_async import WhatsApp

from bot.settings import DEFAULT_GRAPH_API_ROOT, WhatsAppSettings

# Hosts pywa talks to: the Graph API, and the CDN incoming media are downloaded from.
GRAPH_HOSTS = frozenset({"graph.facebook.com", "api.facebook.com", "lookaside.fbsbx.com"})
# Sends wait at most this long; media up- and downloads take longer.
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class GraphRootTransport(httpx.AsyncBaseTransport):
    """Sends requests meant for Meta's hosts to another root (a test server), keeping path and
    query: pywa_async pins its session's base URL to graph.facebook.com."""

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


def http_client(api_root: str = DEFAULT_GRAPH_API_ROOT, **kwargs: Any) -> httpx.AsyncClient:
    """The httpx client under pywa: Meta's hosts directly, or redirected to `api_root`."""
    kwargs.setdefault("timeout", TIMEOUT)
    if api_root.rstrip("/") == DEFAULT_GRAPH_API_ROOT:
        return httpx.AsyncClient(**kwargs)
    return httpx.AsyncClient(transport=GraphRootTransport(api_root), **kwargs)


def create_client(settings: WhatsAppSettings, session: httpx.AsyncClient | None = None) -> WhatsApp:
    """A client that only sends and downloads: webhooks come through our own route
    (whatsapp/webhook.py), so pywa registers no server and no handlers of its own."""
    return WhatsApp(
        phone_id=settings.phone_number_id,
        token=settings.access_token,
        session=session or http_client(settings.api_root),
        waba_id=settings.business_account_id,
        server=None,
        verify_token=None,
    )
