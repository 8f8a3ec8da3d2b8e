"""An httpx client that sends Graph API requests meant for Meta to the fake server instead.

pywa_async always sets its session's base URL to https://graph.facebook.com/v{version}; the
bot's own transport (whatsapp/client.py) rewrites the scheme, host and port (keeping path and
query), which points it at fakewa without touching pywa's internals.
"""

from __future__ import annotations

from typing import Any

import httpx

from whatsapp.client import GRAPH_HOSTS, GraphRootTransport

__all__ = ["GRAPH_HOSTS", "RedirectTransport", "redirecting_client"]

RedirectTransport = GraphRootTransport


def redirecting_client(api_root: str, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx.AsyncClient for pywa_async's ``WhatsApp(session=...)`` that reaches fakewa."""
    return httpx.AsyncClient(transport=GraphRootTransport(api_root), **kwargs)
