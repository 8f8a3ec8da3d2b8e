"""Run fakegram standalone for manual experiments: python -m fakegram --port 8081."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import threading

from fakegram.records import BotMessage
from fakegram.server import DEFAULT_TOKEN, FakeTelegram


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fakegram",
        description="Fake Telegram Bot API server. Lines typed on stdin are sent to the bot "
        "as messages from the first --user.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="properbot_test")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:NAME",
        help="simulated user, e.g. 1001:Alice (repeatable; default 1001:Alice)",
    )
    parser.add_argument("--no-stdin", action="store_true", help="do not read messages from stdin")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    server = FakeTelegram(args.token, args.bot_username, host=args.host, port=args.port)
    await server.start()
    users = []
    for spec in args.user or ["1001:Alice"]:
        user_id, _, name = spec.partition(":")
        users.append(server.user(int(user_id), name or f"User{user_id}"))

    def show(event: str, msg: BotMessage) -> None:
        buttons = " ".join(f"[{t}]" for t in msg.button_texts)
        print(f"<- {event} #{msg.message_id} to {msg.chat_id}: {msg.plain or msg.kind} {buttons}")

    server.add_listener(show)
    print(f"fakegram {server.spec.version} listening on {server.api_root}")
    print(f"  token:         {server.token}")
    print(f"  base_url:      {server.base_url}")
    print(f"  base_file_url: {server.base_file_url}")
    print("  users:         " + ", ".join(f"{u.id} {u.first_name}" for u in users))
    sys.stdout.flush()
    loop = asyncio.get_running_loop()

    def send(text: str) -> None:
        sent = users[0].send(text)
        print(f"-> {users[0].first_name}: {text} (update {sent.update_id})")

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                loop.call_soon_threadsafe(send, line.rstrip("\n"))

    if not args.no_stdin and users:
        # A daemon thread, so a blocked readline never holds up Ctrl+C.
        threading.Thread(target=read_stdin, name="fakegram-stdin", daemon=True).start()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
