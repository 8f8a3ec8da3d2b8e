"""uvicorn serving the web app inside `properbot run`, on a socket bound before the bot starts."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

# Requests still running at stop get this long to finish (a webhook post only queues).
GRACEFUL_STOP_S = 5


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on host:port (0: any free port); OSError when taken.

    Bound before the bot starts, so a busy port is a clear start-up error, not a crash later.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    # The bot owns SIGINT and SIGTERM (it stops the web server itself); uvicorn would take them
    # over and raise them again after its own shutdown.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    """The ASGI app on an already bound socket: start() returns once it accepts requests."""

    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        config = uvicorn.Config(
            app,
            # Our logging is configured once (bot/logs.py); uvicorn's lines go through it.
            log_config=None,
            # One line per update is logged where it is handled; a line per request would
            # only repeat it.
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_STOP_S,
        )
        self._server = _Server(config)
        self._sock = sock
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    async def start(self) -> None:
        task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[self._sock]), name="properbot-web"
        )
        self._task = task
        while not self._server.started:
            if task.done():
                task.result()  # its error, if any
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._server.should_exit = True
        await task
